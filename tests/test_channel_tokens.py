"""Per-ticket tokens: only the key's holder makes them, each for one purpose, survey links
expire, and reply addresses are found among the recipients of an email."""

from datetime import UTC, datetime, timedelta

import pytest

from channel.links import ChannelOff, reply_address, reply_tokens, survey_url
from channel.settings import ChannelSettings, ChannelSettingsError, describe
from channel.tokens import Purpose, TokenExpired, TokenInvalid, TokenKeys, issue, verify

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
KEYS = TokenKeys.from_secrets("k" * 32)
OTHER = TokenKeys.from_secrets("o" * 32)
SETTINGS = ChannelSettings(KEYS, "reply.example.com", "https://support.example.com")


def test_a_token_names_its_ticket_and_expiry() -> None:
    expires = NOW + timedelta(days=7)
    token = issue(KEYS, Purpose.SURVEY, "T-1001", expires)
    claim = verify(KEYS, Purpose.SURVEY, token, NOW)
    assert (claim.ticket_id, claim.expires_at) == ("T-1001", expires)


def test_a_reply_token_is_not_a_survey_token_nor_the_reverse() -> None:
    reply = issue(KEYS, Purpose.REPLY, "T-1001")
    survey = issue(KEYS, Purpose.SURVEY, "T-1001", NOW + timedelta(days=1))
    with pytest.raises(TokenInvalid):
        verify(KEYS, Purpose.SURVEY, reply, NOW)
    with pytest.raises(TokenInvalid):
        verify(KEYS, Purpose.REPLY, survey, NOW)


def test_a_survey_token_expires_at_its_instant() -> None:
    expires = NOW + timedelta(hours=1)
    token = issue(KEYS, Purpose.SURVEY, "T-1001", expires)
    assert verify(KEYS, Purpose.SURVEY, token, expires - timedelta(seconds=1)).ticket_id == "T-1001"
    with pytest.raises(TokenExpired) as expired:
        verify(KEYS, Purpose.SURVEY, token, expires)
    assert expired.value.ticket_id == "T-1001"


def test_a_reply_token_without_expiry_stays_valid() -> None:
    token = issue(KEYS, Purpose.REPLY, "T-1001")
    later = NOW + timedelta(days=3650)
    assert verify(KEYS, Purpose.REPLY, token, later).expires_at is None


def test_every_changed_character_is_refused() -> None:
    token = issue(KEYS, Purpose.SURVEY, "T-1001", NOW + timedelta(days=1))
    for position, char in enumerate(token):
        changed = token[:position] + ("b" if char != "b" else "c") + token[position + 1 :]
        with pytest.raises(TokenInvalid):
            verify(KEYS, Purpose.SURVEY, changed, NOW)


def test_another_ticket_id_or_a_longer_expiry_cannot_be_spliced_in() -> None:
    """The tag covers the expiry and the id: moving a tag onto other fields fails."""
    short = issue(KEYS, Purpose.SURVEY, "T-1001", NOW + timedelta(hours=1))
    long = issue(KEYS, Purpose.SURVEY, "T-1002", NOW + timedelta(days=30))
    # Token bytes: 10 tag bytes (16 base32 characters), then expiry and id.
    spliced = short[:16] + long[16:]
    with pytest.raises(TokenInvalid):
        verify(KEYS, Purpose.SURVEY, spliced, NOW)


def test_a_token_of_another_key_is_refused_until_that_key_is_a_previous_one() -> None:
    token = issue(OTHER, Purpose.REPLY, "T-1001")
    with pytest.raises(TokenInvalid):
        verify(KEYS, Purpose.REPLY, token, NOW)
    rotated = TokenKeys(KEYS.current, (OTHER.current,))
    assert verify(rotated, Purpose.REPLY, token, NOW).ticket_id == "T-1001"


@pytest.mark.parametrize(
    "garbage",
    ["", "a", "!!!!", "ab=cd", "é" * 20, "0189" * 10, "a" * 5000, "aaaaaaaaaaaaaaaaaaaaaaaaaa"],
)
def test_garbage_is_invalid_never_an_error(garbage: str) -> None:
    with pytest.raises(TokenInvalid):
        verify(KEYS, Purpose.SURVEY, garbage, NOW)


def test_tokens_survive_a_mail_server_that_folds_case() -> None:
    token = issue(KEYS, Purpose.REPLY, "Mixed-Case.Id_9")
    assert token == token.lower()
    assert verify(KEYS, Purpose.REPLY, token.upper(), NOW).ticket_id == "Mixed-Case.Id_9"


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="32 characters"):
        TokenKeys.from_secrets("short")


def test_the_reply_address_fits_rfc_5321_for_ticket_ids_up_to_21_characters() -> None:
    address = reply_address(SETTINGS, "T" * 21)
    local, _, domain = address.partition("@")
    assert domain == "reply.example.com" and local.startswith("support+")
    assert len(local) <= 64


def test_links_need_their_settings() -> None:
    bare = ChannelSettings(KEYS)
    with pytest.raises(ChannelOff, match="CHANNEL_INBOUND_DOMAIN"):
        reply_address(bare, "T-1")
    with pytest.raises(ChannelOff, match="API_PUBLIC_URL"):
        survey_url(bare, "T-1", NOW)


def test_the_survey_link_carries_a_survey_token() -> None:
    url = survey_url(SETTINGS, "T-1001", NOW + timedelta(days=1))
    assert url.startswith("https://support.example.com/survey/")
    token = url.rsplit("/", 1)[1]
    assert verify(KEYS, Purpose.SURVEY, token, NOW).ticket_id == "T-1001"


def test_reply_tokens_are_found_among_envelope_to_and_cc() -> None:
    address = reply_address(SETTINGS, "T-1001")
    token = address.split("+")[1].split("@")[0]
    recipients = [
        "someone@example.com",
        f'"Acme Support" <{address.upper().replace("REPLY.EXAMPLE.COM", "Reply.Example.com")}>',
        f"other@example.org, {address}",
        "support+foreign@elsewhere.example",
        "helpdesk+abc@reply.example.com",
    ]
    assert reply_tokens(recipients, "reply.example.com") == [token]
    assert reply_tokens(["grace@example.com"], "reply.example.com") == []


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHANNEL_SECRET", raising=False)
    assert ChannelSettings.from_env() is None
    assert "customer channel off: CHANNEL_SECRET is not set" in describe(None)
    monkeypatch.setenv("CHANNEL_SECRET", "s" * 40)
    monkeypatch.setenv("CHANNEL_INBOUND_DOMAIN", "Reply.Example.com")
    monkeypatch.setenv("API_PUBLIC_URL", "https://support.example.com/")
    settings = ChannelSettings.from_env()
    assert settings is not None
    assert (settings.inbound_domain, settings.public_url) == (
        "reply.example.com",
        "https://support.example.com",
    )
    assert describe(settings) == (
        "customer channel on: replies to support+<token>@reply.example.com; "
        "survey links https://support.example.com/survey/<token>"
    )


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("CHANNEL_SECRET", "too-short", "CHANNEL_SECRET"),
        ("CHANNEL_INBOUND_DOMAIN", "not a domain", "CHANNEL_INBOUND_DOMAIN"),
        ("API_PUBLIC_URL", "ftp://x", "API_PUBLIC_URL"),
    ],
)
def test_unusable_settings_name_their_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, named: str
) -> None:
    monkeypatch.setenv("CHANNEL_SECRET", "s" * 40)
    monkeypatch.setenv(name, value)
    with pytest.raises(ChannelSettingsError, match=named):
        ChannelSettings.from_env()
