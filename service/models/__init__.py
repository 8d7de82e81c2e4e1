"""The vises data model (SQLAlchemy 2): import from here."""

from service.models.base import Base, utcnow
from service.models.campaigns import (
    Campaign,
    CampaignStatus,
    Channel,
    Contact,
    ContactStatus,
    Launch,
    QuestionnaireVersion,
)
from service.models.conversations import (
    Answer,
    ConsentRecord,
    Conversation,
    ConversationStatus,
    InboundMessage,
)
from service.models.messaging import (
    STATUS_RANK,
    EarlyDeliveryReport,
    MessageKind,
    OutboundMessage,
    OutboundStatus,
)
from service.models.organizations import (
    ApiToken,
    ErasureMode,
    FederationMembership,
    Organization,
    OrganizationKind,
    Role,
    User,
)
from service.models.privacy import AuditEvent, Export, PrivacyRequest
from service.models.respondents import Identity, OptOut, Respondent
from service.models.scores import CampaignAggregate, Score
from service.models.security import LoginFailure

__all__ = [
    "STATUS_RANK",
    "Answer",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Campaign",
    "CampaignAggregate",
    "CampaignStatus",
    "Channel",
    "ConsentRecord",
    "Contact",
    "ContactStatus",
    "Conversation",
    "ConversationStatus",
    "EarlyDeliveryReport",
    "ErasureMode",
    "Export",
    "FederationMembership",
    "Identity",
    "InboundMessage",
    "Launch",
    "LoginFailure",
    "MessageKind",
    "OptOut",
    "Organization",
    "OrganizationKind",
    "OutboundMessage",
    "OutboundStatus",
    "PrivacyRequest",
    "QuestionnaireVersion",
    "Respondent",
    "Role",
    "Score",
    "User",
    "utcnow",
]
