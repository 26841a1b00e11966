"""On-call contacts from a separate file (CONTACTS_FILE), so rotas change without a policy edit.

The file replaces the policy's contacts level by level:

    [levels.4]
    email = "l4-oncall@example.com"
    phone = "+15550100004"
    manager = { email = "eng-manager@example.com", phone = "+15550100040" }
"""

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from policy.models import Contact, EscalationPolicy, LevelNumber


class LevelContacts(Contact):
    manager: Contact | None = None


class ContactsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    levels: dict[LevelNumber, LevelContacts]


def read_contacts(path: Path) -> ContactsFile:
    return ContactsFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))


def with_contacts(policy: EscalationPolicy, contacts: ContactsFile) -> EscalationPolicy:
    levels = dict(policy.levels)
    for number, given in contacts.levels.items():
        update: dict[str, object] = {"contacts": Contact(email=given.email, phone=given.phone)}
        if given.manager:
            update["manager"] = given.manager
        levels[number] = levels[number].model_copy(update=update)
    return policy.model_copy(update={"levels": levels})
