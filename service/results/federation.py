"""Federation benchmarks: each member's indicator against the network's, with small cells suppressed.

A federation sees only aggregates of its members, never a conversation or a free-text answer, and no
value computed from fewer than :data:`MIN_RESPONDENTS` respondents. Suppression, per indicator:

1. **primary**: a member with 1 to 4 respondents shows "hidden (fewer than 5 respondents)";
2. **secondary**: the viewer could otherwise subtract what they see (and, for a member, their own
   values) from the network total and get the hidden members' value. Whenever the respondents the
   viewer can't see add up to 1-4, more member cells are hidden, smallest first, until they reach 5;
   when no cell is left to hide, the network value is hidden instead;
3. the network's own value needs 5 respondents (and the indicator's ``min_n``) like any other.

A member's staff see their own values next to the network's; other members are named only when they
opted in (``Organization.share_name_with_federations``), and otherwise labelled "Member A", "Member B"…
in an order drawn from a hash, so neither names nor sign-up order can be read from the letters.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires.model import Indicator, Questionnaire, translate
from questionnaires.scoring import Tally
from service.definitions import definition
from service.models import (
    Campaign,
    CampaignAggregate,
    FederationMembership,
    Organization,
    QuestionnaireVersion,
)
from service.results import phrases
from service.results.indicators import ALL, IndicatorResult, indicator_result

MIN_RESPONDENTS = 5

SHOWN, NOT_ENOUGH, SMALL, SECONDARY, EMPTY = "shown", "not_enough", "small", "secondary", "empty"


@dataclass(frozen=True, slots=True)
class Suppression:
    """Which member cells and whether the network cell of one indicator may be shown."""

    small: frozenset[int]
    secondary: frozenset[int]
    network_hidden: bool


def suppress(counts: Mapping[int, int], min_n: int, own: int | None = None) -> Suppression:
    """Decide what a viewer may see of one indicator, from each member's respondent count.

    ``counts`` maps member id → n; ``own`` is the viewing member (None for the federation's staff). A
    member's value is visible from ``max(5, min_n)``; the rest of the rules are in the module docstring.
    """
    threshold = max(MIN_RESPONDENTS, min_n)
    network_n = sum(counts.values())
    small = {m for m, n in counts.items() if 0 < n < MIN_RESPONDENTS}
    visible = {m for m, n in counts.items() if n >= threshold and m != own}
    known = sum(counts[m] for m in visible) + (counts.get(own, 0) if own is not None else 0)
    secondary: set[int] = set()
    network_hidden = False
    residual = network_n - known
    # Only a visible network value can be differenced; below the threshold it is not shown anyway.
    while network_n >= threshold and 0 < residual < MIN_RESPONDENTS:
        candidates = sorted(visible - secondary, key=lambda m: (counts[m], m))
        if not candidates:
            network_hidden = True
            break
        secondary.add(candidates[0])
        residual += counts[candidates[0]]
    return Suppression(frozenset(small), frozenset(secondary), network_hidden)


@dataclass(frozen=True, slots=True)
class Cell:
    """One member's (or the network's) value of one indicator as the viewer may see it."""

    label: str
    own: bool
    state: str
    """"shown", "not_enough" (n below the indicator's min_n), "small", "secondary" or "empty"."""
    n: int | None
    """Shown for "shown" and "not_enough" cells only."""
    result: IndicatorResult | None
    """Only for "shown" cells: a suppressed value never leaves this module."""
    note: str


@dataclass(frozen=True, slots=True)
class BenchmarkRow:
    indicator: Indicator
    title: str
    network: Cell
    members: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class Benchmark:
    questionnaire_key: str
    title: str
    questionnaire: Questionnaire
    members: int
    rows: tuple[BenchmarkRow, ...]


@dataclass(frozen=True, slots=True)
class SharedQuestionnaire:
    key: str
    title: str
    members: int
    campaigns: int


def member_ids(session: Session, federation_id: int) -> list[int]:
    return list(
        session.scalars(
            select(FederationMembership.member_id).where(FederationMembership.federation_id == federation_id)
        )
    )


def federations_of(session: Session, member_id: int) -> list[Organization]:
    """The federations an enterprise belongs to."""
    return list(
        session.scalars(
            select(Organization)
            .join(FederationMembership, FederationMembership.federation_id == Organization.id)
            .where(FederationMembership.member_id == member_id)
            .order_by(Organization.name)
        )
    )


def is_member(session: Session, federation_id: int, member_id: int) -> bool:
    return session.get(FederationMembership, (federation_id, member_id)) is not None


def _campaign_rows(
    session: Session, federation_id: int, key: str | None = None
) -> list[tuple[int, int, QuestionnaireVersion]]:
    query = (
        select(Campaign.id, Campaign.organization_id, QuestionnaireVersion)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Campaign.questionnaire_version_id)
        .join(FederationMembership, FederationMembership.member_id == Campaign.organization_id)
        .where(FederationMembership.federation_id == federation_id)
    )
    if key is not None:
        query = query.where(QuestionnaireVersion.questionnaire_key == key)
    return [(int(cid), int(org), version) for cid, org, version in session.execute(query)]


def shared_questionnaires(session: Session, federation_id: int, language: str) -> list[SharedQuestionnaire]:
    """The questionnaires the federation's members run, most widely used first."""
    grouped: dict[str, tuple[set[int], set[int], QuestionnaireVersion]] = {}
    for campaign_id, organization_id, version in _campaign_rows(session, federation_id):
        members, campaigns, newest = grouped.get(version.questionnaire_key, (set(), set(), version))
        members.add(organization_id)
        campaigns.add(campaign_id)
        if version.version > newest.version:
            newest = version
        grouped[version.questionnaire_key] = (members, campaigns, newest)
    result = []
    for key, (members, campaigns, newest) in grouped.items():
        questionnaire = definition(newest)
        title = translate(questionnaire.title, language, questionnaire.default_language)
        result.append(
            SharedQuestionnaire(
                key,
                title.replace("{org}", phrases.text("any_member", language)),
                len(members),
                len(campaigns),
            )
        )
    return sorted(result, key=lambda s: (-s.members, s.title))


def anonymous_labels(federation_id: int, member_ids: list[int]) -> dict[int, str]:
    """Member id → "A", "B", … in an order drawn from a hash of the federation and member ids."""
    ordered = sorted(member_ids, key=lambda m: hashlib.sha256(f"{federation_id}:{m}".encode()).hexdigest())
    return {member: _letters(index) for index, member in enumerate(ordered)}


def _letters(index: int) -> str:
    letters = string.ascii_uppercase
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = letters[remainder] + name
    return name


def benchmark(
    session: Session, federation: Organization, key: str, language: str, *, viewer: int | None = None
) -> Benchmark | None:
    """The benchmark of one questionnaire across the federation's members, as ``viewer`` may see it.

    ``viewer`` is the member enterprise looking (None for the federation's own staff). None when no
    member runs the questionnaire.
    """
    rows = _campaign_rows(session, federation.id, key)
    if not rows:
        return None
    newest = max((version for _, _, version in rows), key=lambda v: (v.version, v.id))
    reference = definition(newest)
    definitions = {version.id: definition(version) for _, _, version in rows}
    members_in_use = sorted({organization_id for _, organization_id, _ in rows})
    organizations = {
        o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(members_in_use)))
    }
    letters = anonymous_labels(federation.id, member_ids(session, federation.id))
    labels = {}
    for member in members_in_use:
        organization = organizations[member]
        if member == viewer:
            labels[member] = phrases.text("you", language, name=organization.name)
        elif organization.share_name_with_federations:
            labels[member] = organization.name
        else:
            labels[member] = phrases.text("member", language, label=letters.get(member, "?"))
    order = sorted(members_in_use, key=lambda m: (m != viewer, labels[m]))

    stored: dict[int, dict[str, Tally]] = {}
    for campaign_id, indicator_id, data in session.execute(
        select(CampaignAggregate.campaign_id, CampaignAggregate.indicator_id, CampaignAggregate.tally).where(
            CampaignAggregate.campaign_id.in_([cid for cid, _, _ in rows]), CampaignAggregate.segment == ALL
        )
    ):
        stored.setdefault(int(campaign_id), {})[indicator_id] = Tally.from_json(data)

    result_rows = []
    for indicator in reference.indicators:
        per_member: dict[int, Tally] = {}
        for campaign_id, organization_id, version in rows:
            if not _same_indicator(definitions[version.id], indicator):
                continue
            tally = stored.get(campaign_id, {}).get(indicator.id)
            if tally is None:
                continue
            previous = per_member.get(organization_id)
            per_member[organization_id] = tally if previous is None else previous.merge(tally)
        counts = {m: per_member[m].n if m in per_member else 0 for m in members_in_use}
        decision = suppress(counts, indicator.min_n, own=viewer)
        network_tally = Tally.empty()
        for tally in per_member.values():
            network_tally = network_tally.merge(tally)
        network = _cell(
            reference,
            indicator,
            phrases.text("network", language),
            network_tally,
            language,
            hidden=SECONDARY if decision.network_hidden else None,
        )
        cells = []
        for member in order:
            hidden = (
                SMALL if member in decision.small else SECONDARY if member in decision.secondary else None
            )
            cells.append(
                _cell(
                    reference,
                    indicator,
                    labels[member],
                    per_member.get(member, Tally.empty()),
                    language,
                    hidden=hidden,
                    own=member == viewer,
                )
            )
        title = translate(indicator.title, language, reference.default_language)
        result_rows.append(BenchmarkRow(indicator, title, network, tuple(cells)))
    title = translate(reference.title, language, reference.default_language).replace(
        "{org}", phrases.text("any_member", language)
    )
    return Benchmark(key, title, reference, len(members_in_use), tuple(result_rows))


def _same_indicator(questionnaire: Questionnaire, indicator: Indicator) -> bool:
    return any(i.id == indicator.id and i.method is indicator.method for i in questionnaire.indicators)


def _cell(
    questionnaire: Questionnaire,
    indicator: Indicator,
    label: str,
    tally: Tally,
    language: str,
    *,
    hidden: str | None,
    own: bool = False,
) -> Cell:
    n = tally.n
    if n == 0:
        return Cell(label, own, EMPTY, 0, None, phrases.text("no_answers", language, title=label))
    if hidden is not None or n < MIN_RESPONDENTS:
        state = hidden or SMALL
        note = phrases.text("suppressed.secondary" if state == SECONDARY else "suppressed", language)
        return Cell(label, own, state, None, None, note)
    result = indicator_result(questionnaire, indicator, tally, language)
    if not result.shown:
        return Cell(label, own, NOT_ENOUGH, n, None, result.sentence)
    return Cell(label, own, SHOWN, n, result, result.short_text)


def benchmark_csv_rows(bench: Benchmark) -> list[list[str]]:
    """The benchmark as table rows for a CSV download: suppressed cells stay empty."""
    rows = [["indicator", "title", "who", "status", "n", "value", "low", "high"]]
    for row in bench.rows:
        for cell in (row.network, *row.members):
            value = low = high = ""
            if cell.result is not None:
                aggregate = cell.result.aggregate
                digits = cell.result.digits
                value = _plain(aggregate.value, digits)
                low = _plain(aggregate.low, digits)
                high = _plain(aggregate.high, digits)
            rows.append(
                [
                    row.indicator.id,
                    row.title,
                    cell.label,
                    cell.state,
                    "" if cell.n is None else str(cell.n),
                    value,
                    low,
                    high,
                ]
            )
    return rows


def _plain(value: float | None, digits: int) -> str:
    return "" if value is None else str(phrases.rounded(value, digits))
