"""What a campaign's answers say: indicators, distributions, funnel, mode effects, change, federation benchmarks.

Everything here is Flask-free and reads the database with SQL aggregates (or keyset pages for the
exports), so the pages, the command line, the API and the workers share one implementation and a
campaign of 100,000 conversations never has to fit in memory. Texts meant for people come in French,
Dutch and English from :mod:`service.results.phrases`.
"""
