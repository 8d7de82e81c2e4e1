"""The words and numbers results are told in, in French, Dutch and English.

Results are read by people who are not statisticians, in pages, printed reports, exports and the command
line, so the sentences live here (not in a Flask catalog) and every surface says the same thing. Numbers
are rounded half up (62.5 gives 63, as people expect, not Python's banker's 62) and written the local
way: a decimal comma in French and Dutch, a narrow no-break space before "%" in French, a real minus
sign. ``{name}`` placeholders are filled with ``str.replace`` so a title holding braces can't break.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

LANGUAGES: Final = ("fr", "nl", "en")
FALLBACK: Final = "en"
MINUS: Final = "\u2212"
NARROW_NBSP: Final = "\u202f"
_THOUSANDS: Final = {"fr": NARROW_NBSP, "nl": ".", "en": ","}
_DECIMAL: Final = {"fr": ",", "nl": ",", "en": "."}

_TEXTS: Final[Mapping[str, Mapping[str, str]]] = {
    # --- indicator sentences ---------------------------------------------------------------------
    "share": {
        "fr": "{value} des personnes répondantes : {title} ({hits} sur {n} ; intervalle à 95 % : {interval})",
        "nl": "{value} van de respondenten: {title} ({hits} van {n}; 95%-interval: {interval})",
        "en": "{value} of respondents: {title} ({hits} of {n}; 95% interval: {interval})",
    },
    "recommend": {
        "fr": "{title} : {value} sur une échelle de −100 à +100 (n = {n} ; intervalle à 95 % : {interval}) ; "
        "{promoters} ont répondu 9 ou 10, {detractors} de 0 à 6",
        "nl": "{title}: {value} op een schaal van −100 tot +100 (n = {n}; 95%-interval: {interval}); "
        "{promoters} antwoordde 9 of 10, {detractors} 0 tot 6",
        "en": "{title}: {value} on a scale from −100 to +100 (n = {n}; 95% interval: {interval}); "
        "{promoters} answered 9 or 10, {detractors} 0 to 6",
    },
    "mean_on_scale": {
        "fr": "{title} : {value} en moyenne, sur une échelle de {min} à {max} (n = {n} ; intervalle à 95 % : {interval})",
        "nl": "{title}: gemiddeld {value}, op een schaal van {min} tot {max} (n = {n}; 95%-interval: {interval})",
        "en": "{title}: {value} on average, on a scale from {min} to {max} (n = {n}; 95% interval: {interval})",
    },
    "mean": {
        "fr": "{title} : {value} en moyenne (n = {n} ; intervalle à 95 % : {interval})",
        "nl": "{title}: gemiddeld {value} (n = {n}; 95%-interval: {interval})",
        "en": "{title}: {value} on average (n = {n}; 95% interval: {interval})",
    },
    "no_interval": {
        "fr": "trop peu de réponses pour un intervalle",
        "nl": "te weinig antwoorden voor een interval",
        "en": "too few answers for an interval",
    },
    "not_enough": {
        "fr": "{title} : pas assez de réponses pour afficher une valeur (n = {n}, {min_n} nécessaires)",
        "nl": "{title}: niet genoeg antwoorden om een waarde te tonen (n = {n}, {min_n} nodig)",
        "en": "{title}: not enough answers to show a value (n = {n}, {min_n} needed)",
    },
    "no_answers": {
        "fr": "{title} : pas encore de réponses",
        "nl": "{title}: nog geen antwoorden",
        "en": "{title}: no answers yet",
    },
    "excluded.one": {
        "fr": "1 autre réponse (comme « je ne sais pas ») n'est pas comptée.",
        "nl": "1 ander antwoord (zoals ‘weet niet’) wordt niet meegeteld.",
        "en": "1 other answer (such as “don't know”) is not counted.",
    },
    "excluded.many": {
        "fr": "{count} autres réponses (comme « je ne sais pas ») ne sont pas comptées.",
        "nl": "{count} andere antwoorden (zoals ‘weet niet’) worden niet meegeteld.",
        "en": "{count} other answers (such as “don't know”) are not counted.",
    },
    "short": {"fr": "n = {n}, {interval}", "nl": "n = {n}, {interval}", "en": "n = {n}, {interval}"},
    "range": {"fr": "{low} à {high}", "nl": "{low} tot {high}", "en": "{low} to {high}"},
    # --- how each method is computed (method notes of the report) --------------------------------
    "method.share": {
        "fr": "Part des personnes répondantes ; intervalle de confiance à 95 % de Wilson. Les réponses comme « je ne sais pas » "
        "sont retirées du dénominateur et comptées à part.",
        "nl": "Aandeel van de respondenten; 95%-betrouwbaarheidsinterval volgens Wilson. Antwoorden zoals ‘weet niet’ "
        "tellen niet mee in de noemer en worden apart geteld.",
        "en": "Share of respondents; 95% Wilson score confidence interval. Answers such as “don't know” are left "
        "out of the denominator and counted apart.",
    },
    "method.recommend": {
        "fr": "Part des réponses 9-10 moins part des réponses 0-6, de −100 à +100 ; intervalle à 95 % par "
        "approximation normale (variance du résultat à trois catégories). Affiché à partir de {min_n} réponses.",
        "nl": "Aandeel antwoorden 9-10 min aandeel 0-6, van −100 tot +100; 95%-interval met de normale benadering "
        "(variantie van de uitkomst met drie categorieën). Getoond vanaf {min_n} antwoorden.",
        "en": "Share answering 9-10 minus share answering 0-6, from −100 to +100; 95% interval by normal "
        "approximation (variance of the three-category outcome). Shown from {min_n} answers.",
    },
    "method.mean": {
        "fr": "Moyenne des items par personne répondante (items inversés retournés), puis moyenne de toutes "
        "les personnes répondantes ; intervalle à 95 % de Student.",
        "nl": "Gemiddelde van de items per respondent (omgekeerde items omgedraaid), daarna het gemiddelde over "
        "de respondenten; 95%-interval volgens Student.",
        "en": "Mean of the items per respondent (reverse-coded items flipped), then the mean over respondents; "
        "95% Student t interval.",
    },
    "method.sum": {
        "fr": "Somme des items × {multiplier} par personne répondante, puis moyenne de toutes les personnes "
        "répondantes ; intervalle à 95 % de Student.",
        "nl": "Som van de items × {multiplier} per respondent, daarna het gemiddelde; 95%-interval volgens Student.",
        "en": "Sum of the items × {multiplier} per respondent, then the mean over respondents; 95% Student t interval.",
    },
    "method.bands": {
        "fr": "Réponse moyenne avec un intervalle à 95 % de Student ; part des personnes répondantes dans chaque tranche "
        "avec des intervalles de Wilson à 95 %.",
        "nl": "Gemiddeld antwoord met een 95%-interval volgens Student; aandeel respondenten per klasse met "
        "95%-intervallen volgens Wilson.",
        "en": "Mean answer with a 95% Student t interval; share of respondents in each band with 95% Wilson "
        "intervals.",
    },
    "method.min_n": {
        "fr": "Une valeur n'est affichée qu'à partir de {min_n} réponses.",
        "nl": "Een waarde wordt pas getoond vanaf {min_n} antwoorden.",
        "en": "A value is shown only from {min_n} answers.",
    },
    # --- categories of an indicator ---------------------------------------------------------------
    "category.hit": {"fr": "Oui", "nl": "Ja", "en": "Yes"},
    "category.miss": {"fr": "Non", "nl": "Nee", "en": "No"},
    "category.promoter": {"fr": "9-10", "nl": "9-10", "en": "9-10"},
    "category.passive": {"fr": "7-8", "nl": "7-8", "en": "7-8"},
    "category.detractor": {"fr": "0-6", "nl": "0-6", "en": "0-6"},
    # --- impact dimensions --------------------------------------------------------------------------
    "dimension.individuals": {"fr": "Personnes", "nl": "Personen", "en": "Individuals"},
    "dimension.social_link": {"fr": "Lien social", "nl": "Sociale banden", "en": "Social link"},
    "dimension.territory": {"fr": "Territoire", "nl": "Streek en gemeenschap", "en": "Territory"},
    "dimension.economy_employment": {
        "fr": "Économie et emploi",
        "nl": "Economie en werkgelegenheid",
        "en": "Economy and employment",
    },
    "dimension.governance": {"fr": "Gouvernance", "nl": "Bestuur en inspraak", "en": "Governance"},
    "dimension.environment": {"fr": "Environnement", "nl": "Milieu", "en": "Environment"},
    "dimension.practices": {"fr": "Pratiques", "nl": "Werkwijze", "en": "Practices"},
    # --- channels, languages, statuses --------------------------------------------------------------
    "channel.web": {"fr": "Web", "nl": "Web", "en": "Web"},
    "channel.sms": {"fr": "SMS", "nl": "Sms", "en": "SMS"},
    "channel.whatsapp": {"fr": "WhatsApp", "nl": "WhatsApp", "en": "WhatsApp"},
    "channel.telegram": {"fr": "Telegram", "nl": "Telegram", "en": "Telegram"},
    "language.fr": {"fr": "Français", "nl": "Frans", "en": "French"},
    "language.nl": {"fr": "Néerlandais", "nl": "Nederlands", "en": "Dutch"},
    "language.en": {"fr": "Anglais", "nl": "Engels", "en": "English"},
    "status.in_progress": {"fr": "En cours", "nl": "Bezig", "en": "In progress"},
    "status.completed": {"fr": "Terminée", "nl": "Voltooid", "en": "Completed"},
    "status.expired": {"fr": "Expirée", "nl": "Verlopen", "en": "Expired"},
    "status.opted_out": {"fr": "Désinscrit", "nl": "Afgemeld", "en": "Opted out"},
    "all": {"fr": "Tous", "nl": "Allemaal", "en": "All"},
    # --- chart headers (the text alternative of each chart is a table with these columns) ------------
    "head.indicator": {"fr": "Indicateur", "nl": "Indicator", "en": "Indicator"},
    "head.value": {"fr": "Valeur", "nl": "Waarde", "en": "Value"},
    "head.interval": {"fr": "Intervalle à 95 %", "nl": "95%-interval", "en": "95% interval"},
    "head.n": {"fr": "n", "nl": "n", "en": "n"},
    "head.category": {"fr": "Catégorie", "nl": "Categorie", "en": "Category"},
    "head.share": {"fr": "Part", "nl": "Aandeel", "en": "Share"},
    "head.count": {"fr": "Nombre", "nl": "Aantal", "en": "Count"},
    "head.day": {"fr": "Jour", "nl": "Dag", "en": "Day"},
    "head.started": {"fr": "Commencées", "nl": "Begonnen", "en": "Started"},
    "head.completed": {"fr": "Terminées", "nl": "Voltooid", "en": "Completed"},
    "head.channel": {"fr": "Canal", "nl": "Kanaal", "en": "Channel"},
    "head.language": {"fr": "Langue", "nl": "Taal", "en": "Language"},
    "head.response_rate": {"fr": "Taux de réponse", "nl": "Responsgraad", "en": "Response rate"},
    "head.completion_rate": {"fr": "Taux d'achèvement", "nl": "Voltooiingsgraad", "en": "Completion rate"},
    "chart.activity": {
        "fr": "Conversations commencées et terminées dans le temps",
        "nl": "Begonnen en voltooide gesprekken in de tijd",
        "en": "Conversations started and completed over time",
    },
    "chart.rates_channel": {
        "fr": "Taux de réponse et d'achèvement par canal",
        "nl": "Respons- en voltooiingsgraad per kanaal",
        "en": "Response and completion rates by channel",
    },
    "chart.rates_language": {
        "fr": "Taux de réponse et d'achèvement par langue",
        "nl": "Respons- en voltooiingsgraad per taal",
        "en": "Response and completion rates by language",
    },
    "chart.shares": {
        "fr": "{dimension} : parts avec leur intervalle à 95 %",
        "nl": "{dimension}: aandelen met hun 95%-interval",
        "en": "{dimension}: shares with their 95% interval",
    },
    "chart.by_channel": {
        "fr": "{title} par canal, avec l'intervalle à 95 %",
        "nl": "{title} per kanaal, met het 95%-interval",
        "en": "{title} by channel, with the 95% interval",
    },
    "chart.by_member": {
        "fr": "{title} : membres et réseau, avec l'intervalle à 95 %",
        "nl": "{title}: leden en netwerk, met het 95%-interval",
        "en": "{title}: members and network, with the 95% interval",
    },
    "answered": {"fr": "Répondu", "nl": "Beantwoord", "en": "Answered"},
    # --- mode effects -------------------------------------------------------------------------------
    "mode.differ": {
        "fr": "Les canaux diffèrent au-delà du hasard ({p}).",
        "nl": "De kanalen verschillen meer dan toeval verklaart ({p}).",
        "en": "Channels differ beyond chance ({p}).",
    },
    "mode.same": {
        "fr": "Pas de différence entre canaux au-delà du hasard ({p}).",
        "nl": "Geen verschil tussen de kanalen dat toeval niet verklaart ({p}).",
        "en": "No difference between channels beyond chance ({p}).",
    },
    "mode.yes": {"fr": "Oui ({p})", "nl": "Ja ({p})", "en": "Yes ({p})"},
    "mode.no": {"fr": "Non ({p})", "nl": "Nee ({p})", "en": "No ({p})"},
    "mode.untested": {"fr": "Non testé", "nl": "Niet getoetst", "en": "Not tested"},
    "mode.too_few": {
        "fr": "Trop peu de réponses par canal pour comparer.",
        "nl": "Te weinig antwoorden per kanaal om te vergelijken.",
        "en": "Too few answers per channel to compare.",
    },
    "mode.one_channel": {
        "fr": "Un seul canal utilisé : rien à comparer.",
        "nl": "Maar één kanaal gebruikt: niets te vergelijken.",
        "en": "Only one channel used: nothing to compare.",
    },
    "mode.chi_square": {
        "fr": "test du khi-deux",
        "nl": "chikwadraattoets",
        "en": "chi-square test",
    },
    "mode.welch": {
        "fr": "test de Welch (comparaisons deux à deux, correction de Bonferroni)",
        "nl": "Welch-toets (paarsgewijs, Bonferroni-correctie)",
        "en": "Welch's t-test (pairwise, Bonferroni correction)",
    },
    # --- before/after change ------------------------------------------------------------------------
    "change.sentence": {
        "fr": "{title} : {change} pour les {n} mêmes personnes répondantes (intervalle à 95 % : {interval}) — {verdict}",
        "nl": "{title}: {change} voor dezelfde {n} respondenten (95%-interval: {interval}) — {verdict}",
        "en": "{title}: {change} for the same {n} respondents (95% interval: {interval}) — {verdict}",
    },
    "change.up": {"fr": "hausse nette", "nl": "duidelijke stijging", "en": "a clear increase"},
    "change.down": {"fr": "baisse nette", "nl": "duidelijke daling", "en": "a clear decrease"},
    "change.unclear": {
        "fr": "pas de changement net (le hasard peut l'expliquer)",
        "nl": "geen duidelijke verandering (toeval kan het verklaren)",
        "en": "no clear change (chance could explain it)",
    },
    "change.too_few": {
        "fr": "{title} : trop peu de personnes répondantes présentes aux deux campagnes (n = {n}, {min_n} nécessaires)",
        "nl": "{title}: te weinig respondenten in beide campagnes (n = {n}, {min_n} nodig)",
        "en": "{title}: too few respondents present in both campaigns (n = {n}, {min_n} needed)",
    },
    "unit.points_of_percent": {"fr": "points de %", "nl": "procentpunten", "en": "percentage points"},
    "unit.points": {"fr": "points", "nl": "punten", "en": "points"},
    # --- federation ---------------------------------------------------------------------------------
    "suppressed": {
        "fr": "masqué (moins de 5 personnes répondantes)",
        "nl": "verborgen (minder dan 5 respondenten)",
        "en": "hidden (fewer than 5 respondents)",
    },
    "suppressed.secondary": {
        "fr": "masqué (protège un membre de moins de 5 personnes répondantes)",
        "nl": "verborgen (beschermt een lid met minder dan 5 respondenten)",
        "en": "hidden (protects a member with fewer than 5 respondents)",
    },
    "member": {"fr": "Membre {label}", "nl": "Lid {label}", "en": "Member {label}"},
    "network": {"fr": "Réseau", "nl": "Netwerk", "en": "Network"},
    "any_member": {"fr": "l'entreprise", "nl": "de onderneming", "en": "the enterprise"},
    "you": {"fr": "{name} (vous)", "nl": "{name} (u)", "en": "{name} (you)"},
}


def _typeset_french(value: str) -> str:
    """French spacing: a no-break space before ":" and inside « », a narrow one before ";", "?", "!" and "%"."""
    value = value.replace(" :", "\u00a0:").replace("« ", "«\u00a0").replace(" »", "\u00a0»")
    for mark in (";", "?", "!", "%"):
        value = value.replace(" " + mark, NARROW_NBSP + mark)
    return value


CATALOG: Final[Mapping[str, Mapping[str, str]]] = {
    key: {
        language: _typeset_french(value) if language == "fr" else value for language, value in entry.items()
    }
    for key, entry in _TEXTS.items()
}


def text(key: str, language: str, **params: object) -> str:
    """The catalog text in ``language`` (English when missing), with ``{name}`` placeholders filled."""
    entry = CATALOG[key]
    result = entry.get(language) or entry[FALLBACK]
    for name, value in params.items():
        result = result.replace("{" + name + "}", str(value))
    return result


def rounded(value: float, digits: int) -> Decimal:
    """``value`` rounded half up to ``digits`` decimals (from its shortest repr, so 0.125 stays 0.125)."""
    exponent = Decimal(1).scaleb(-digits)
    return Decimal(repr(float(value))).quantize(exponent, rounding=ROUND_HALF_UP)


def number(value: float, language: str, digits: int = 0, *, signed: bool = False) -> str:
    """A number as people of ``language`` write it: "7,2" in French and Dutch, "−3" with a real minus."""
    shown = rounded(value, digits)
    if shown == 0:
        shown = abs(shown)  # never "−0"
    whole, _, fraction = f"{abs(shown):.{digits}f}".partition(".")
    body = f"{int(whole):,}".replace(",", _THOUSANDS.get(language, ","))
    if fraction:
        body += _DECIMAL.get(language, ".") + fraction
    if shown < 0:
        return MINUS + body
    if signed and shown > 0:
        return "+" + body
    return body


def percent(value: float, language: str, digits: int = 0) -> str:
    """A percentage: "62 %" in French (narrow no-break space), "62%" in Dutch and English."""
    return number(value, language, digits) + (NARROW_NBSP + "%" if language == "fr" else "%")


def interval(
    low: float | None, high: float | None, language: str, digits: int = 0, *, is_percent: bool = False
) -> str:
    """An interval: "51–72%" for ordinary numbers, "−12 to +8" when a bound is negative."""
    if low is None or high is None:
        return text("no_interval", language)
    signed = rounded(low, digits) < 0 or rounded(high, digits) < 0
    low_text = number(low, language, digits, signed=signed)
    high_text = number(high, language, digits, signed=signed)
    result = text("range", language, low=low_text, high=high_text) if signed else f"{low_text}–{high_text}"
    if is_percent:
        result += NARROW_NBSP + "%" if language == "fr" else "%"
    return result


def lowercase_title(title: str) -> str:
    """A title inside a sentence: "Quality of life improved" → "quality of life improved"; "WHO-5" stays."""
    if len(title) > 1 and title[0].isupper() and title[1].islower():
        return title[0].lower() + title[1:]
    return title
