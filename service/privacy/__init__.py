"""Privacy by design: erasure and access on request, retention, key rotation, the consent ledger.

Flask-free, like the rest of the service: the staff pages (``service.web.privacy``), the command line
(``service.cli.privacy``), the conversation service (the SUPPRIMER/VERWIJDER/DELETE and MY DATA
keywords) and the retention job (``workers.retention``) all call these modules.
"""
