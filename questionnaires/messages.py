"""What vises itself says to respondents, in French, Dutch and English.

Texts are short because each SMS segment is paid for, and they keep to the GSM-7 alphabet where the
language allows (no ê, ç, î, ô or curly apostrophes) so a message stays at 160 characters a segment.
Keywords named in a text (AIDE, TERUG, STOP...) are the ones ``keywords.classify`` understands in that
language. ``{name}`` placeholders are filled with ``str.replace``, never ``str.format``, so braces in a
parameter (an organisation's name) can't break anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

FALLBACK_LANGUAGE: Final = "en"

CATALOG: Final[Mapping[str, Mapping[str, str]]] = {
    # Answer labels
    "yes": {"fr": "Oui", "nl": "Ja", "en": "Yes"},
    "no": {"fr": "Non", "nl": "Nee", "en": "No"},
    # Hints shown with a question
    "hint.range": {
        "fr": "Répondez par un nombre de {min} à {max}.",
        "nl": "Antwoord met een getal van {min} tot {max}.",
        "en": "Reply with a number from {min} to {max}.",
    },
    "hint.multiple": {
        "fr": "Plusieurs réponses possibles",
        "nl": "Meerdere antwoorden mogelijk",
        "en": "Several answers possible",
    },
    "hint.example": {"fr": "ex. {keys}", "nl": "bv. {keys}", "en": "e.g. {keys}"},
    "hint.back": {
        "fr": "RETOUR : question précédente",
        "nl": "TERUG: vorige vraag",
        "en": "BACK: previous question",
    },
    "hint.skip": {"fr": "- pour passer", "nl": "- om over te slaan", "en": "- to skip"},
    # Re-asks, one per reason a reply was not accepted
    "error.not_understood": {
        "fr": "Je n'ai pas compris.",
        "nl": "Dat begreep ik niet.",
        "en": "Sorry, I did not understand.",
    },
    "error.choose_number": {
        "fr": "Répondez par le numéro de votre choix.",
        "nl": "Antwoord met het nummer van uw keuze.",
        "en": "Reply with the number of your choice.",
    },
    "error.not_an_option": {
        "fr": "Ce numéro n'est pas dans la liste.",
        "nl": "Dat nummer staat niet in de lijst.",
        "en": "That number is not in the list.",
    },
    "error.ambiguous_choice": {
        "fr": "Plusieurs choix correspondent, répondez par le numéro.",
        "nl": "Meerdere keuzes passen, antwoord met het nummer.",
        "en": "Several choices match, reply with the number.",
    },
    "error.ambiguous_number": {
        "fr": "Écrivez le nombre sans point ni virgule des milliers, ex. 1500.",
        "nl": "Schrijf het getal zonder punt of komma voor duizendtallen, bv. 1500.",
        "en": "Write the number without a thousands separator, e.g. 1500.",
    },
    "error.yes_no": {
        "fr": "Répondez 1 (oui) ou 2 (non).",
        "nl": "Antwoord 1 (ja) of 2 (nee).",
        "en": "Reply 1 (yes) or 2 (no).",
    },
    "error.number": {
        "fr": "Répondez par un nombre.",
        "nl": "Antwoord met een getal.",
        "en": "Reply with a number.",
    },
    "error.whole_number": {
        "fr": "Répondez par un nombre entier.",
        "nl": "Antwoord met een geheel getal.",
        "en": "Reply with a whole number.",
    },
    "error.at_least": {
        "fr": "Répondez par un nombre d'au moins {min}.",
        "nl": "Antwoord met een getal van minstens {min}.",
        "en": "Reply with a number of at least {min}.",
    },
    "error.at_most": {
        "fr": "Répondez par un nombre d'au plus {max}.",
        "nl": "Antwoord met een getal van hoogstens {max}.",
        "en": "Reply with a number of at most {max}.",
    },
    "error.too_long": {
        "fr": "Trop long : {max} caractères au plus.",
        "nl": "Te lang: hoogstens {max} tekens.",
        "en": "Too long: {max} characters at most.",
    },
    "error.required": {
        "fr": "Cette question demande une réponse.",
        "nl": "Deze vraag heeft een antwoord nodig.",
        "en": "This question needs an answer.",
    },
    "error.constraint": {
        "fr": "Cette réponse n'est pas possible, réessayez.",
        "nl": "Dat antwoord kan niet, probeer opnieuw.",
        "en": "That answer is not possible, please try again.",
    },
    "error.language_unavailable": {
        "fr": "Ce questionnaire existe en : {languages}.",
        "nl": "Deze vragenlijst bestaat in: {languages}.",
        "en": "This questionnaire is available in: {languages}.",
    },
    "consent.reask": {
        "fr": "Pour commencer, répondez 1 (oui) ou 2 (non).",
        "nl": "Antwoord 1 (ja) of 2 (nee) om te beginnen.",
        "en": "To start, reply 1 (yes) or 2 (no).",
    },
    "offer_help": {
        "fr": "Répondez AIDE pour de l'aide, ou STOP pour quitter.",
        "nl": "Antwoord HULP voor hulp, of STOP om te stoppen.",
        "en": "Reply HELP for help, or STOP to stop.",
    },
    # Endings
    "thanks": {
        "fr": "Merci pour vos réponses !",
        "nl": "Bedankt voor uw antwoorden!",
        "en": "Thank you for your answers!",
    },
    "refused": {
        "fr": "Pas de problème, merci et au revoir !",
        "nl": "Geen probleem, bedankt en tot ziens!",
        "en": "No problem, thank you and goodbye!",
    },
    "expired": {
        "fr": "Le délai pour répondre est dépassé. Merci malgré tout !",
        "nl": "De tijd om te antwoorden is voorbij. Toch bedankt!",
        "en": "The time to answer has run out. Thank you anyway!",
    },
    "already_answered": {
        "fr": "Vous avez déjà répondu. Merci !",
        "nl": "U heeft al geantwoord. Bedankt!",
        "en": "You have already answered. Thank you!",
    },
    "campaign_not_open": {
        "fr": "Ce questionnaire n'est pas encore ouvert. Réessayez plus tard.",
        "nl": "Deze vragenlijst is nog niet open. Probeer later opnieuw.",
        "en": "This questionnaire is not open yet. Please try again later.",
    },
    "campaign_paused": {
        "fr": "Ce questionnaire est en pause. Réessayez plus tard.",
        "nl": "Deze vragenlijst is gepauzeerd. Probeer later opnieuw.",
        "en": "This questionnaire is paused. Please try again later.",
    },
    "campaign_closed": {
        "fr": "Ce questionnaire est terminé. Merci !",
        "nl": "Deze vragenlijst is afgesloten. Bedankt!",
        "en": "This questionnaire is closed. Thank you!",
    },
    # Answers to keywords
    "help": {
        "fr": "Répondez par le numéro ou le texte demandé. RETOUR : question précédente. "
        "FR, NL, EN : langue. STOP : ne plus recevoir de messages.",
        "nl": "Antwoord met het nummer of de gevraagde tekst. TERUG: vorige vraag. "
        "FR, NL, EN: taal. STOP: geen berichten meer.",
        "en": "Reply with the number or the text asked for. BACK: previous question. "
        "FR, NL, EN: language. STOP: no more messages.",
    },
    "stopped": {
        "fr": "C'est noté, vous ne recevrez plus de messages de {org}. Envoyez START pour revenir.",
        "nl": "Genoteerd, u krijgt geen berichten meer van {org}. Stuur START om terug te komen.",
        "en": "Done, you will get no more messages from {org}. Send START to come back.",
    },
    "started": {
        "fr": "C'est noté, vous pouvez à nouveau recevoir les messages de {org}.",
        "nl": "Genoteerd, u kunt weer berichten van {org} ontvangen.",
        "en": "Done, you can get messages from {org} again.",
    },
    "opted_out_hint": {
        "fr": "Vous ne recevez plus nos messages. Envoyez START pour revenir.",
        "nl": "U ontvangt onze berichten niet meer. Stuur START om terug te komen.",
        "en": "You no longer get our messages. Send START to come back.",
    },
    "restart_not_allowed": {
        "fr": "Impossible de recommencer ce questionnaire.",
        "nl": "Deze vragenlijst kan niet opnieuw beginnen.",
        "en": "This questionnaire cannot be started again.",
    },
    "language_switched": {
        "fr": "Nous continuons en français.",
        "nl": "We gaan verder in het Nederlands.",
        "en": "We continue in English.",
    },
    "choose_language": {
        "fr": "Choisissez la langue : FR, NL ou EN.",
        "nl": "Kies de taal: FR, NL of EN.",
        "en": "Choose the language: FR, NL or EN.",
    },
    "unknown_keyword": {
        "fr": "Mot-clé inconnu. Vérifiez-le et réessayez.",
        "nl": "Onbekend trefwoord. Controleer het en probeer opnieuw.",
        "en": "Unknown keyword. Please check it and try again.",
    },
    "deleted": {
        "fr": "Vos réponses à {org} ont été supprimées.",
        "nl": "Uw antwoorden aan {org} zijn verwijderd.",
        "en": "Your answers to {org} have been deleted.",
    },
    "access_requested": {
        "fr": "Votre demande d'accès à vos données est notée. {org} vous répondra.",
        "nl": "Uw vraag om uw gegevens in te zien is genoteerd. {org} antwoordt u.",
        "en": "Your request to see your data is noted. {org} will answer you.",
    },
    # Invitations and reminders sent by the workers (SMS: keep to GSM-7, one segment with a short name)
    "invitation.keyword": {
        "fr": "{org} vous invite à un court questionnaire. Envoyez {keyword} pour commencer. STOP pour ne plus recevoir de messages.",
        "nl": "{org} nodigt u uit voor een korte vragenlijst. Stuur {keyword} om te beginnen. STOP om geen berichten meer te krijgen.",
        "en": "{org} invites you to a short survey. Send {keyword} to start. STOP to receive no more messages.",
    },
    "invitation.link": {
        "fr": "{org} vous invite à un court questionnaire : {link}",
        "nl": "{org} nodigt u uit voor een korte vragenlijst: {link}",
        "en": "{org} invites you to a short survey: {link}",
    },
    "reminder.keyword": {
        "fr": "Rappel de {org} : votre avis compte. Envoyez {keyword} pour répondre. STOP pour ne plus recevoir de messages.",
        "nl": "Herinnering van {org}: uw mening telt. Stuur {keyword} om te antwoorden. STOP om geen berichten meer te krijgen.",
        "en": "Reminder from {org}: your opinion counts. Send {keyword} to answer. STOP to receive no more messages.",
    },
    "reminder.link": {
        "fr": "Rappel de {org} : votre avis compte. Pour répondre : {link}",
        "nl": "Herinnering van {org}: uw mening telt. Antwoorden kan hier: {link}",
        "en": "Reminder from {org}: your opinion counts. To answer: {link}",
    },
    "reminder.resume": {
        "fr": "Rappel de {org} : il reste quelques questions. Vous pouvez reprendre là où vous en étiez.",
        "nl": "Herinnering van {org}: er zijn nog enkele vragen. U kunt verdergaan waar u gebleven was.",
        "en": "Reminder from {org}: a few questions are left. You can carry on where you stopped.",
    },
    # Telegram: button labels and short notes (bots/telegram)
    "telegram.back": {"fr": "Retour", "nl": "Terug", "en": "Back"},
    "telegram.skip": {"fr": "Passer", "nl": "Overslaan", "en": "Skip"},
    "telegram.outdated": {
        "fr": "Cette question a déjà une réponse.",
        "nl": "Deze vraag is al beantwoord.",
        "en": "This question has already been answered.",
    },
    "telegram.edited": {
        "fr": "Je ne relis pas les messages modifiés : envoyez un nouveau message.",
        "nl": "Gewijzigde berichten lees ik niet opnieuw: stuur een nieuw bericht.",
        "en": "Edited messages are not read again: please send a new message.",
    },
    "telegram.ask_code": {
        "fr": "Bonjour ! Pour répondre à un questionnaire, ouvrez votre lien d'invitation ou envoyez le code du questionnaire.",
        "nl": "Hallo! Open uw uitnodigingslink of stuur de code van de vragenlijst om te antwoorden.",
        "en": "Hello! To answer a survey, open your invitation link or send the survey's code.",
    },
    # Telegram: the command menu (setMyCommands), one description per command
    "telegram.command.start": {
        "fr": "Commencer avec un code de questionnaire",
        "nl": "Beginnen met een code van een vragenlijst",
        "en": "Start with a survey code",
    },
    "telegram.command.back": {
        "fr": "Revenir a la question precedente",
        "nl": "Terug naar de vorige vraag",
        "en": "Go back to the previous question",
    },
    "telegram.command.language": {
        "fr": "Changer de langue",
        "nl": "Taal wijzigen",
        "en": "Change the language",
    },
    "telegram.command.help": {"fr": "Aide", "nl": "Hulp", "en": "Help"},
    "telegram.command.restart": {
        "fr": "Recommencer le questionnaire",
        "nl": "De vragenlijst opnieuw beginnen",
        "en": "Start the survey again",
    },
    "telegram.command.mydata": {
        "fr": "Recevoir mes reponses",
        "nl": "Mijn antwoorden ontvangen",
        "en": "Get my answers",
    },
    "telegram.command.delete": {
        "fr": "Effacer mes donnees",
        "nl": "Mijn gegevens wissen",
        "en": "Erase my data",
    },
    "telegram.command.stop": {
        "fr": "Ne plus recevoir de messages",
        "nl": "Geen berichten meer ontvangen",
        "en": "Stop all messages",
    },
    # Requests to see or erase one's data (service.privacy.requests), confirmed once
    "privacy.confirm_delete": {
        "fr": "Pour effacer vos données chez {org}, renvoyez SUPPRIMER ou répondez OUI dans les 15 minutes.",
        "nl": "Om uw gegevens bij {org} te wissen, stuur binnen 15 minuten opnieuw VERWIJDER of JA.",
        "en": "To erase your data at {org}, send DELETE or YES again within 15 minutes.",
    },
    "privacy.confirm_access": {
        "fr": "Pour recevoir ici vos réponses à {org}, renvoyez MES DONNEES ou répondez OUI dans les 15 minutes.",
        "nl": "Om uw antwoorden aan {org} hier te krijgen, stuur binnen 15 minuten opnieuw MIJN GEGEVENS of JA.",
        "en": "To get your answers to {org} here, send MY DATA or YES again within 15 minutes.",
    },
    "privacy.nothing_held": {
        "fr": "Nous n'avons aucune donnée vous concernant.",
        "nl": "We hebben geen gegevens over u.",
        "en": "We hold no data about you.",
    },
    "privacy.access_header": {
        "fr": "Vos données chez {org} :",
        "nl": "Uw gegevens bij {org}:",
        "en": "Your data at {org}:",
    },
    "privacy.no_answers": {
        "fr": "Aucune réponse enregistrée.",
        "nl": "Geen antwoorden bewaard.",
        "en": "No answers stored.",
    },
    "privacy.access_footer": {
        "fr": "Vos coordonnées sont gardées chiffrées. Pour tout effacer : SUPPRIMER.",
        "nl": "Uw contactgegevens worden versleuteld bewaard. Alles wissen: VERWIJDER.",
        "en": "Your contact details are kept encrypted. To erase it all: DELETE.",
    },
    "privacy.access_more": {
        "fr": "La suite est trop longue pour un message : demandez le fichier complet à {org}.",
        "nl": "De rest is te lang voor een bericht: vraag het volledige bestand aan {org}.",
        "en": "The rest is too long for a message: ask {org} for the full file.",
    },
}

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def placeholders(template: str) -> frozenset[str]:
    """The ``{name}`` parameters a template expects, so tests can check every translation agrees."""
    return frozenset(_PLACEHOLDER.findall(template))


def message(key: str, language: str, **params: object) -> str:
    """A system text in the respondent's language (English when that language is missing)."""
    translations = CATALOG[key]
    template = translations.get(language) or translations[FALLBACK_LANGUAGE]
    missing = placeholders(template) - params.keys()
    if missing:
        raise TypeError(f"message {key!r} needs {', '.join(sorted(missing))}")
    text = template
    for name, value in params.items():
        text = text.replace("{" + name + "}", str(value))
    return text
