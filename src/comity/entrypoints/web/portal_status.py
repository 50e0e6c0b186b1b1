"""One status for a requester, in plain words: where the demand stands, what happens next and
whom it waits on.

Why one: the portal used to show the demand's intake status ("received") beside the case's state
("delivered"), two words that contradicted each other to anyone outside the legal team. A
requester needs one answer; it is taken from the demand when intake ended it (withdrawn, refused
on call-back), else from its case, and never shows the internal review (who decided what).
"""

from __future__ import annotations

from dataclasses import dataclass

from comity.domain.case.case import Case
from comity.domain.case.model import CaseState
from comity.domain.intake import DemandRecord, DemandStatus


@dataclass(frozen=True)
class PlainStatus:
    #: A few words, the one status the page shows (``#status``).
    headline: str
    #: What happens next, in a sentence.
    next_step: str
    #: Who must act before anything moves: "you", "the provider's legal team", "nobody".
    waits_on: str


PROVIDER = "the provider's legal team"
NOBODY = "nobody: this demand is finished"

#: Case states (``domain/case/model.py``) as a requester reads them.
_BY_STATE = {
    "received": PlainStatus(
        "received", "The legal team will assess it against the law of each country.", PROVIDER
    ),
    "assessed": PlainStatus(
        "assessed, waiting for review",
        "A reviewer will decide on each part of the demand; a second person then approves.",
        PROVIDER,
    ),
    "in_review": PlainStatus(
        "in review",
        "A reviewer is deciding on each part of the demand; a second person then approves.",
        PROVIDER,
    ),
    "approved": PlainStatus(
        "approved for production",
        "The provider will produce a signed package of the records; you can download it here.",
        PROVIDER,
    ),
    "partly_approved": PlainStatus(
        "partly approved for production",
        "Part of the demand will be produced as a signed package; the messages say what is "
        "withheld and why.",
        PROVIDER,
    ),
    "in_production": PlainStatus(
        "in production",
        "The records are being read in each region into a signed package.",
        PROVIDER,
    ),
    "delivered": PlainStatus(
        "delivered",
        "Download the package below and check its signature and hashes (see “Check a package”).",
        "you",
    ),
    "rejected": PlainStatus(
        "rejected",
        "Nothing will be disclosed; the messages give the reasons. You may file a new demand.",
        NOBODY,
    ),
    "redirected": PlainStatus(
        "redirected elsewhere",
        "The provider cannot answer this demand itself; the messages say where to send it "
        "(mutual legal assistance or another entity).",
        "you",
    ),
    "objected": PlainStatus(
        "objected to",
        "The provider has objected to the demand; nothing is produced while the objection stands.",
        "the court or the provider's legal team",
    ),
    "closed": PlainStatus("closed", "Nothing more will happen on this demand.", NOBODY),
    "withdrawn": PlainStatus("withdrawn", "You withdrew it; nothing will be disclosed.", NOBODY),
}


#: A review done and recommended, before the second person approves (four eyes).
RECOMMENDED = PlainStatus(
    "in review, waiting for approval",
    "A reviewer has decided on each part of the demand; a second person at the provider must "
    "approve before anything is produced.",
    PROVIDER,
)


def plain_status(record: DemandRecord, case: Case | None) -> PlainStatus:
    """The one status a requester reads for ``record`` and its ``case`` (if opened)."""
    if record.status is DemandStatus.WITHDRAWN:
        return _BY_STATE["withdrawn"]
    if record.status is DemandStatus.REFUSED:
        return PlainStatus(
            "refused",
            "The authority named in the demand denied sending it when the provider called "
            "back; nothing will be disclosed.",
            NOBODY,
        )
    if case is None:
        status = PlainStatus(
            "received", "The legal team will open a case and assess the demand.", PROVIDER
        )
    elif case.state is CaseState.IN_REVIEW and case.recommended_by and not case.approved_by:
        # Four eyes: the state stays in_review until approval, but the review itself is done.
        status = RECOMMENDED
    else:
        status = _BY_STATE[case.state.value]
    if record.disclosure_blocked_reason and status.waits_on == PROVIDER:
        # Intake's checks (verification, fraud signs, an emergency's call-back) come first.
        return PlainStatus(
            status.headline,
            status.next_step + " First the legal team must resolve what is listed under "
            "“Before anything can be disclosed”.",
            status.waits_on,
        )
    return status
