"""What people read: the privacy policy from the settings, linked from every
page; OQLF spacing on every French page and message; one address per page
(« tu » for students, « vous » for parents and the projected wall, neither on
staff pages)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from typing import Any

import httpx
import pytest

from tests.factories import UPLOAD_FIELDS, jpeg_bytes, sign_in, upload
from tests.web.conftest import serving
from wall.config import Settings
from wall.french import NBSP, has_breaking_space

ORGANIZATION: dict[str, Any] = {
    "organizer": "Centre de services scolaire des Vagues",
    "organizer_en": "Vagues School Service Centre",
    "organizer_address": "12, rue des Écoles, Rimouski (Québec) G5L 1A1",
    "privacy_officer_title": "Secrétaire générale",
    "privacy_officer_name": "Josée Tremblay",
    "privacy_officer_contact": "prp@vagues.test",
    "contact_email": "retraits@vagues.test",
    "hosting_location": "Montréal (Québec), chez Hébergement Boréal",
    "audit_keep_days": 400,
    "removal_delay_hours": 12,
    "keep_until": dt.date(2099, 3, 1),
}


def visible(page: str) -> str:
    """The text people read: tags, scripts and styles out, attributes people see in."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    shown = re.findall(r'(?:alt|title|placeholder|aria-label)="([^"]*)"', body)
    text = re.sub(r"<[^>]+>", " ", body)
    return html.unescape(" ".join([text, *shown]))


async def _html_upload(http: httpx.AsyncClient, **fields: str) -> httpx.Response:
    files = {"photo": ("photo.jpg", jpeg_bytes(), "image/jpeg")}
    return await http.post("/upload", data={**UPLOAD_FIELDS, **fields}, files=files)


async def french_pages(http: httpx.AsyncClient, settings: Settings) -> dict[str, str]:
    """Every French page a person can reach, rendered, by who reads it."""
    pages: dict[str, str] = {}
    for path in ("/", "/upload", "/removal-request", "/confidentialite", "/nowhere"):
        pages[path] = (await http.get(path)).text
    done = await _html_upload(http)
    assert done.status_code == 201
    pages["uploaded"] = done.text
    manage = re.search(r'id="upload-manage-link">([^<]+)<', done.text)
    assert manage is not None
    pages["manage"] = (await http.get(html.unescape(manage.group(1)))).text
    pages["upload error"] = (await _html_upload(http, everyone_agrees="")).text
    pages["upload under 14"] = (
        await _html_upload(http, age_confirmation="under_14_without_parent")
    ).text
    pages["removal sent"] = (
        await http.post("/removal-request", data={"description": "Vers 9 h", "reason": "Ma fille"})
    ).text
    pages["removal error"] = (await http.post("/removal-request", data={"reason": "x"})).text
    pages["/login"] = (await http.get("/login")).text
    await sign_in(http, settings)
    pages["/moderation"] = (await http.get("/moderation")).text
    pages["/moderation/admin"] = (await http.get("/moderation/admin")).text
    http.cookies.clear()
    return pages


async def french_messages(http: httpx.AsyncClient) -> list[str]:
    """The messages of the refusals people meet most, as JSON carries them."""
    answers = [
        await upload(http, consent=""),
        await upload(http, everyone_agrees=""),
        await upload(http, age_confirmation=""),
        await upload(http, age_confirmation="under_14_without_parent"),
        await upload(http, website="http://spam.test"),
        await upload(http, upload_key="!"),
        await upload(http, region="Atlantide"),
        await upload(http, caption="x" * 300),
        await upload(http, image=b"pas une image"),
        await http.get("/api/nowhere"),
        await http.post("/api/auth/login", json={"email": "a@b.test", "password": "non"}),
    ]
    messages = [answer.json()["message"] for answer in answers if answer.status_code >= 400]
    assert len(messages) >= 11
    return messages


async def test_the_privacy_policy_names_every_setting_it_is_built_from(
    settings: Settings,
) -> None:
    custom = settings.replace(**ORGANIZATION)
    async with serving(custom) as http:
        french = visible((await http.get("/confidentialite")).text).replace(NBSP, " ")
        english = visible((await http.get("/privacy")).text).replace(NBSP, " ")
        outside = visible(
            await _served(settings.replace(**ORGANIZATION, outside_quebec=True), "/privacy")
        )
    for key in (
        "organizer",
        "organizer_address",
        "privacy_officer_title",
        "privacy_officer_name",
        "privacy_officer_contact",
        "contact_email",
        "hosting_location",
    ):
        assert str(ORGANIZATION[key]) in french, key
    assert "gardé 400 jours" in french
    assert "dans un délai de 12 heures" in french
    assert "au plus tard le 1er mars 2099" in french
    assert "Elles ne quittent pas le Québec." in french
    assert "parent ou le tuteur qui donne son accord" in french  # WALL_UNDER_14=parent
    for topic in ("mot-clic", "empreinte", "journaux", "modération", "journal d'audit", "témoin"):
        assert topic in french, topic
    assert "Commission d'accès à l'information du Québec" in french
    assert "Si vous refusez" in french
    assert ORGANIZATION["organizer_en"] in english and ORGANIZATION["organizer"] not in english
    assert "kept 400 days" in english and "March 1, 2099" in english
    assert "It does not leave Québec." in english and "may be kept outside Québec" in outside


async def _served(settings: Settings, path: str) -> str:
    async with serving(settings) as http:
        return (await http.get(path)).text


@pytest.mark.parametrize(
    ("policy", "words"),
    [("school", "lien d'invitation de leur école"), ("refuse", "aucune photo de personnes")],
)
async def test_the_policy_says_who_consents_for_an_under_14(
    settings: Settings, policy: str, words: str
) -> None:
    page = visible(await _served(settings.replace(under_14=policy), "/confidentialite"))
    assert words in page


async def test_every_page_links_to_the_privacy_policy(settings: Settings) -> None:
    async with serving(settings) as http:
        pages = await french_pages(http, settings)
        pages["/upload?lang=en"] = (await http.get("/upload?lang=en")).text
        pages["/privacy"] = (await http.get("/privacy")).text
    for name, page in pages.items():
        links = re.findall(r'id="privacy-link">|href="([^"]+)" id="privacy-link"', page)
        assert links, name
        expected = "/privacy" if name.endswith(("=en", "/privacy")) else "/confidentialite"
        assert f'href="http://wall.test{expected}" id="privacy-link"' in page, name
    assert 'id="notice-policy-link"' in pages["/upload"]
    own = dataclasses.replace(settings, privacy_policy_url="https://vagues.test/vie-privee")
    async with serving(own) as http:
        for path in ("/", "/upload", "/removal-request"):
            page = (await http.get(path)).text
            assert 'href="https://vagues.test/vie-privee" id="privacy-link"' in page, path


async def test_no_french_page_or_message_breaks_before_a_colon_or_inside_guillemets(
    settings: Settings,
) -> None:
    async with serving(settings.replace(**ORGANIZATION, blur_faces="uploads")) as http:
        pages = await french_pages(http, settings)
        messages = await french_messages(http)
    for name, page in pages.items():
        text = visible(page)
        found = re.findall(r".{0,30}(?:[ \t\n][:»]|«[ \t\n]).{0,10}", text)
        assert not has_breaking_space(text), (name, found)
    for message in messages:
        assert not has_breaking_space(message), message


# Words that address the reader as « tu » or as « vous ».
TU = re.compile(r"\b(tu|toi|ton|ta|tes|te|t')\b|-toi\b|-le-moi\b", re.IGNORECASE)
VOUS = re.compile(r"\b(vous|votre|vos)\b|-vous\b|-le-nous\b", re.IGNORECASE)
STUDENT = ("/upload", "uploaded", "manage", "upload error", "upload under 14")
PARENTS_AND_WALL = ("/", "/removal-request", "removal sent", "removal error", "/confidentialite")
STAFF = ("/login", "/moderation", "/moderation/admin")


async def test_each_page_keeps_one_way_of_addressing_its_reader(settings: Settings) -> None:
    async with serving(settings) as http:
        pages = await french_pages(http, settings)
    for name in STUDENT:
        text = visible(pages[name])
        assert TU.search(text), name
        assert not VOUS.search(text), (name, VOUS.findall(text))
    for name in PARENTS_AND_WALL:
        text = visible(pages[name])
        assert VOUS.search(text), name
        assert not TU.search(text), (name, TU.findall(text))
    for name in STAFF:
        text = visible(pages[name])
        assert not TU.search(text) and not VOUS.search(text), (name, text)


async def test_english_pages_have_no_french_leftovers(settings: Settings) -> None:
    custom = settings.replace(**ORGANIZATION)
    async with serving(custom) as http:
        upload_page = visible((await http.get("/upload?lang=en")).text)
        missing = visible((await http.get("/manage/nope?lang=en")).text)
        privacy = visible((await http.get("/privacy")).text)
    for text in (upload_page, missing, privacy):
        for french in ("Retour au mur", "Oups", "Confidentialité", ORGANIZATION["organizer"]):
            assert french not in text, french
    assert "Back to the wall" in missing and "Oops!" in missing
    assert ORGANIZATION["organizer_en"] in upload_page
