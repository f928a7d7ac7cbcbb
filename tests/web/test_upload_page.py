"""The upload page: French first, English on request, consent, the upload window."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import httpx
import pytest

from tests.factories import jpeg_bytes, upload
from tests.web.conftest import Stored, photo_row, serving, stored
from wall.config import SETTINGS, ConfigError, Settings
from wall.consent import CONSENT_VERSION
from wall.french import NBSP

DOCS = Path(__file__).resolve().parents[2] / "docs" / "uploads.md"
UPLOAD_SETTINGS = (
    "WALL_MAX_UPLOAD_MB",
    "WALL_UPLOAD_LIMIT_PER_HOUR",
    "WALL_MAX_PENDING_PER_CLIENT",
    "WALL_UPLOADS_OPEN_AT",
    "WALL_UPLOADS_CLOSE_AT",
    "WALL_BLUR_FACES",
    "WALL_ORGANIZER",
    "WALL_CONTACT_EMAIL",
    "WALL_KEEP_UNTIL",
)


def checked(page: str, name: str, value: str) -> bool:
    tag = re.search(rf'<input[^>]*name="{name}" value="{value}"[^>]*>', page)
    assert tag is not None, (name, value)
    return " checked" in tag.group(0)


async def test_the_page_is_french_with_consent_unticked_and_a_clear_notice(
    settings: Settings,
) -> None:
    custom = settings.replace(
        organizer="Commission scolaire des Vagues",
        contact_email="vie-privee@vagues.test",
        keep_until=dt.date(2099, 3, 1),
    )
    async with serving(custom) as client:
        response = await client.get("/upload")
    page = html.unescape(response.text).replace(NBSP, " ")
    assert response.status_code == 200
    assert '<html lang="fr-CA">' in page
    assert "Envoie ta photo verte" in page
    assert "Pas de nom complet" in page
    assert not checked(page, "consent", "yes")
    assert not checked(page, "show_name", "yes")
    assert not checked(page, "age_confirmation", "14_or_older")
    assert not checked(page, "age_confirmation", "guardian_consent")
    assert not checked(page, "age_confirmation", "under_14_without_parent")
    assert not checked(page, "everyone_agrees", "yes")
    for use in ("share_school_wall", "share_embed", "share_archive"):
        assert not checked(page, use, "yes")
    for words in (
        "J'ai 14 ans ou plus.",
        "Je suis le parent, la tutrice ou le tuteur d'un enfant de moins de 14 ans : j'ai lu "
        "cette page et j'accepte que sa photo soit affichée.",
        "J'ai moins de 14 ans et mon parent n'a pas encore lu cette page.",
        "Toutes les personnes qu'on voit sur la photo sont d'accord (et, pour celles de moins "
        "de 14 ans, leur parent aussi).",
        "Ce qui est montré",
        "Où : sur le mur de la vague verte #perséVERT2024",
        "effacées au plus tard le 1er mars 2099",
        "vie-privee@vagues.test",
        "Qui recueille ta photo : Commission scolaire des Vagues",
        "Commission d'accès à l'information du Québec",
        "Si tu refuses : rien n'est envoyé",
    ):
        assert words in page, words
    assert 'type="email"' not in page and "courriel" not in page.lower()
    key = re.search(r'name="upload_key" id="upload-key" value="([^"]*)"', page)
    assert key is not None and re.fullmatch(r"[A-Za-z0-9_-]{16,64}", key.group(1))
    assert 'name="website"' in page  # the honeypot, hidden by CSS
    assert 'href="http://wall.test/upload?lang=en"' in page
    assert '<details class="more" id="upload-details">' in page  # optional fields folded


async def test_the_english_page_has_english_words_and_posts_in_english(
    client: httpx.AsyncClient,
) -> None:
    page = html.unescape((await client.get("/upload?lang=en")).text)
    assert '<html lang="en-CA">' in page
    assert "Send your green photo" in page
    assert "I am under 14 and my parent has not read this page yet." in page
    assert "Who collects it: The Jeudi PerséVERT campaign team." in page
    assert 'action="http://wall.test/upload?lang=en"' in page
    assert "Envoie ta photo" not in page


async def test_consent_version_time_and_age_are_stored_and_the_name_is_off_by_default(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    before = dt.datetime.now(dt.UTC)
    response = await upload(client, display_name="Léa", age_confirmation="guardian_consent")
    assert response.status_code == 201, response.text
    photo = await photo_row(settings, response.json()["id"])
    assert photo.consent_version == CONSENT_VERSION
    assert photo.consent_at is not None and photo.consent_at >= before - dt.timedelta(seconds=1)
    assert photo.age_confirmation == "guardian_consent"
    assert photo.author_name == "Léa" and photo.show_name is False


async def test_an_html_failure_shows_the_message_next_to_the_form_with_fields_kept(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    fields = {
        "consent": "yes",
        "everyone_agrees": "yes",
        "age_confirmation": "guardian_consent",
        "display_name": "Zoé",
        "show_name": "yes",
        "caption": "Vert forêt",
        "region": "Estrie",
        "school": "École du Parc",
        "upload_key": "cle-de-test-0123456789",
    }
    response = await client.post(
        "/upload", data=fields, files={"photo": ("photo.jpg", b"pas une image", "image/jpeg")}
    )
    assert response.status_code == 415
    page = html.unescape(response.text)
    assert 'role="alert" id="upload-error">Ce fichier n\'est pas une image' in page
    assert 'value="Zoé"' in page and ">Vert forêt</textarea>" in page
    assert "<option selected>Estrie</option>" in page and 'value="École du Parc"' in page
    assert checked(page, "consent", "yes") and checked(page, "show_name", "yes")
    assert checked(page, "age_confirmation", "guardian_consent")
    assert 'value="cle-de-test-0123456789"' in page
    assert '<details class="more" id="upload-details" open>' in page  # what was typed shows
    assert (await stored(settings)).photos == 0

    english = await client.post(
        "/upload?lang=en", data=fields, files={"photo": ("a.jpg", b"", "image/jpeg")}
    )
    assert english.status_code == 422
    assert "The file is empty. Choose a photo to send." in english.text


async def test_json_errors_carry_the_french_message_and_an_english_one(
    client: httpx.AsyncClient,
) -> None:
    response = await upload(client, consent="no")
    assert response.status_code == 422
    assert response.json() == {
        "error": "consent_required",
        "message": "Coche la case pour accepter que ta photo soit affichée sur le mur.",
        "message_en": "Tick the box to agree that your photo is shown on the wall.",
    }


async def test_before_the_window_the_page_says_when_and_posts_answer_403(
    settings: Settings,
) -> None:
    opens = dt.datetime(2031, 2, 15, 13, 0, tzinfo=dt.UTC)  # 08:00 in Québec
    async with serving(settings.replace(uploads_open_at=opens)) as client:
        page = (await client.get("/upload")).text
        assert f"Le dépôt de photos ouvre le 15 février 2031 à 8{NBSP}h (heure du Québec)." in page
        assert 'id="upload-form"' not in page
        english = (await client.get("/upload?lang=en")).text
        assert "Uploads open on February 15, 2031 at 8:00 a.m. (Québec time)." in english
        response = await upload(client, jpeg_bytes())
        assert response.status_code == 403
        assert response.json()["error"] == "uploads_not_open"
        html = await client.post("/upload", data={"consent": "yes"})
        assert html.status_code == 403 and "ouvre le 15 février 2031" in html.text
    assert await stored(settings) == Stored(0, 0, [])


async def test_after_the_window_posts_answer_403_uploads_closed(settings: Settings) -> None:
    closes = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    opens = closes - dt.timedelta(days=1)
    async with serving(settings.replace(uploads_open_at=opens, uploads_close_at=closes)) as client:
        assert "est fermé" in (await client.get("/upload")).text
        response = await upload(client)
        assert (response.status_code, response.json()["error"]) == (403, "uploads_closed")
    assert (await stored(settings)).photos == 0


async def test_inside_the_window_uploads_are_accepted(settings: Settings) -> None:
    now = dt.datetime.now(dt.UTC)
    window = settings.replace(
        uploads_open_at=now - dt.timedelta(hours=1), uploads_close_at=now + dt.timedelta(hours=1)
    )
    async with serving(window) as client:
        assert (await upload(client)).status_code == 201


def test_every_upload_setting_is_documented() -> None:
    known = {setting.env for setting in SETTINGS}
    text = DOCS.read_text()
    for env in UPLOAD_SETTINGS:
        assert env in known
        assert f"`{env}`" in text, env
    assert CONSENT_VERSION in text


async def test_the_upload_page_links_to_the_removal_request_form(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/upload")
    assert 'href="http://wall.test/removal-request"' in page.text
    assert "Demander le retrait d'une photo" in page.text
    english = await client.get("/upload?lang=en")
    assert "Ask for a photo's removal" in english.text
    form = await client.get("/removal-request")
    assert form.status_code == 200


async def test_uploads_close_by_the_promised_deletion_date_by_default(settings: Settings) -> None:
    yesterday = dt.datetime.now(settings.timezone).date() - dt.timedelta(days=1)
    async with serving(settings.replace(keep_until=yesterday)) as client:
        assert "est fermé" in (await client.get("/upload")).text
        response = await upload(client)
        assert (response.status_code, response.json()["error"]) == (403, "uploads_closed")
    tomorrow = yesterday + dt.timedelta(days=2)
    async with serving(settings.replace(keep_until=tomorrow)) as client:
        assert (await upload(client)).status_code == 201


def test_a_window_opening_or_closing_after_the_deletion_date_is_refused() -> None:
    base = {"WALL_KEEP_UNTIL": "2031-03-01", "WALL_TIMEZONE": "America/Toronto"}
    late_close = {**base, "WALL_UPLOADS_CLOSE_AT": "2031-03-02T09:00:00-05:00"}
    late_open = {**base, "WALL_UPLOADS_OPEN_AT": "2031-03-01T00:00:00-05:00"}
    for env, name in ((late_close, "WALL_UPLOADS_CLOSE_AT"), (late_open, "WALL_UPLOADS_OPEN_AT")):
        with pytest.raises(ConfigError) as error:
            Settings.from_env(env)
        assert str(error.value).startswith(f"{name}: uploads would ")
        assert "\n" not in str(error.value)
    settings = Settings.from_env({**base, "WALL_UPLOADS_CLOSE_AT": "2031-02-28T18:00:00-05:00"})
    assert settings.uploads_closing == dt.datetime(2031, 2, 28, 23, 0, tzinfo=dt.UTC)
    assert Settings.from_env(base).uploads_closing == dt.datetime(2031, 3, 1, 5, 0, tzinfo=dt.UTC)
