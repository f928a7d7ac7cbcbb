"""What the wall tells people about their personal information, from the settings.

Two texts: the short notice on the upload page (to the student: « tu »), and
the privacy policy at ``/confidentialite`` (``/privacy`` in English), written
to parents and the public (« vous »). Both are built from the organization's
settings, so that what they promise is what the wall is configured to do.
Changing a sentence of the notice is a change of the consent wording: bump
``wall.consent.CONSENT_VERSION``.
"""

from __future__ import annotations

from dataclasses import dataclass

from wall import french
from wall.config import Settings

CAI_NAME_FR = "Commission d'accès à l'information du Québec"
CAI_NAME_EN = "Commission d'accès à l'information du Québec (Québec's access to information "
CAI_NAME_EN += "commission)"
CAI_URL = "https://www.cai.gouv.qc.ca"
CAI_PHONE = "1 888 528-7741"
# The delay the private-sector Act gives to answer an access or rectification request.
ANSWER_DAYS = 30

NOT_SET_FR = "à préciser par l'organisme"
NOT_SET_EN = "to be stated by the organization"


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: tuple[str, ...]


def _or(value: str | None, lang: str) -> str:
    return value or (NOT_SET_EN if lang == "en" else NOT_SET_FR)


def officer(settings: Settings, lang: str) -> str:
    """« Responsable de la protection des renseignements personnels, Nom (contact) »."""
    who = settings.privacy_officer_title
    if lang == "en" and who == "Responsable de la protection des renseignements personnels":
        who = "Person in charge of the protection of personal information"
    name = _or(settings.privacy_officer_name, lang)
    return f"{who}, {name} ({_or(settings.privacy_officer_contact, lang)})"


def organizer(settings: Settings, lang: str) -> str:
    name = settings.organizer_in(lang)
    if settings.organizer_address:
        return f"{name}, {settings.organizer_address}"
    return name


def leaving_quebec(settings: Settings, lang: str) -> str:
    """Whether the data may leave Québec, in one sentence."""
    if lang == "en":
        if settings.outside_quebec:
            return (
                "Some of it may be kept outside Québec (for instance copies of the photos by a "
                "content delivery network); the organizer assessed that it is protected there "
                "as the law requires."
            )
        return "It does not leave Québec."
    if settings.outside_quebec:
        return (
            "Une partie peut être gardée hors du Québec (par exemple des copies des photos par "
            "un réseau de diffusion); l'organisme a évalué qu'elle y est protégée comme la loi "
            "le demande."
        )
    return "Elles ne quittent pas le Québec."


def storage_sentence(settings: Settings, lang: str) -> str:
    where = _or(settings.hosting_location, lang)
    if lang == "en":
        return (
            f"The photos and the database are stored in {where}. {leaving_quebec(settings, lang)}"
        )
    return (
        f"Les photos et la base de données sont gardées à cet endroit : {where}. "
        f"{leaving_quebec(settings, lang)}"
    )


def under_14_sentence(settings: Settings, lang: str) -> str:
    policy = settings.under_14
    if lang == "en":
        return {
            "parent": "For a child under 14, a parent or guardian gives the consent on the "
            "upload page; a child whose parent has not read it cannot send a photo.",
            "school": "Photos of children under 14 come only through their school's invite "
            "link (class uploads), under the school's own photo release.",
            "refuse": "This wall accepts no photos of people under 14.",
        }[policy]
    return {
        "parent": "Pour un enfant de moins de 14 ans, c'est le parent ou le tuteur qui donne "
        "son accord sur la page d'envoi; un enfant dont le parent ne l'a pas lue ne peut pas "
        "envoyer de photo.",
        "school": "Les photos des enfants de moins de 14 ans arrivent seulement par le lien "
        "d'invitation de leur école (envois de classe), selon l'autorisation de photographier "
        "que l'école a obtenue.",
        "refuse": "Ce mur n'accepte aucune photo de personnes de moins de 14 ans.",
    }[policy]


def notice_lines(settings: Settings, lang: str) -> tuple[str, ...]:
    """The upload page's notice, one line per question (who, why, what, where…)."""
    tag = f"#{settings.hashtags[0]}"
    until = french.long_date(settings.photos_kept_until, lang)
    contact = settings.contact_address
    blur = face_blur_sentence(settings, lang)
    if lang == "en":
        removal = "at any time with the private link you get after sending your photo"
        if contact:
            removal += f", or by writing to {contact}"
        lines = (
            f"Who collects it: {organizer(settings, lang)}.",
            "Why: to show the campaign's photos on the wall. Your school lets the moderators "
            "recognise a class photo and answer a school; it is shown on a public school wall "
            "only if you tick that box.",
            "What is shown: your photo, your caption and your region; your first name or "
            "nickname only if you tick the box. The photo's hidden data (such as GPS "
            "location) is removed.",
            f"Where: on the {tag} green wave wall, a public web page shown on screens in "
            "schools and elsewhere during the campaign; elsewhere only if you tick a box below.",
            "Before: a person on our team checks every photo before it is shown.",
            f"For how long: during the campaign; photos are deleted by {until} at the latest, "
            "and uploads close before that date.",
            f"Where it is stored: {_or(settings.hosting_location, lang)}. "
            f"{leaving_quebec(settings, lang)}",
            f"How to remove it: {removal}.",
            "Your rights: you may ask to see, correct or delete what concerns you, by writing "
            f"to the {officer(settings, lang)}.",
            "To complain: write to that person first; you may also complain to the "
            f"{CAI_NAME_EN} ({CAI_URL}).",
            "If you say no: nothing is sent and nothing is kept. You can still take part by "
            "wearing green!",
        )
        return (*lines, blur) if blur else lines
    removal = "en tout temps avec le lien privé que tu reçois après l'envoi"
    if contact:
        removal += f", ou en écrivant à {contact}"
    lines = (
        f"Qui recueille ta photo : {organizer(settings, lang)}.",
        "Pourquoi : pour afficher les photos de la campagne sur le mur. Ton école aide "
        "l'équipe de modération à reconnaître une photo de classe et à répondre à une école; "
        "elle est montrée sur un mur public d'école seulement si tu coches cette case.",
        "Ce qui est montré : ta photo, ton petit texte et ta région; ton prénom ou pseudo "
        "seulement si tu coches la case. Les données cachées de la photo (comme la position "
        "GPS) sont retirées.",
        f"Où : sur le mur de la vague verte {tag}, une page web publique projetée dans des "
        "écoles et ailleurs pendant la campagne; ailleurs seulement si tu coches une case "
        "plus bas.",
        "Avant : une personne de notre équipe regarde chaque photo avant de l'afficher.",
        f"Combien de temps : pendant la campagne; les photos sont effacées au plus tard "
        f"{until}, et l'envoi ferme avant cette date.",
        f"Où sont gardées les données : {_or(settings.hosting_location, lang)}. "
        f"{leaving_quebec(settings, lang)}",
        f"Pour la retirer : {removal}.",
        "Tes droits : tu peux demander de voir, de corriger ou d'effacer ce qui te concerne, "
        f"en écrivant à : {officer(settings, lang)}.",
        "Pour te plaindre : écris d'abord à cette personne; tu peux aussi porter plainte à la "
        f"{CAI_NAME_FR} ({CAI_URL}).",
        "Si tu refuses : rien n'est envoyé et rien n'est gardé. Tu peux participer quand même "
        "en portant du vert!",
    )
    return (*lines, blur) if blur else lines


def face_blur_sentence(settings: Settings, lang: str) -> str | None:
    if lang == "en":
        return {
            "all": "Faces are blurred on the wall.",
            "uploads": "Faces in your photo are blurred on the wall.",
            "guardian_consent": "For people under 14, faces are blurred on the wall.",
        }.get(settings.blur_faces)
    return {
        "all": "Les visages sont brouillés sur le mur.",
        "uploads": "Les visages de ta photo sont brouillés sur le mur.",
        "guardian_consent": "Pour les moins de 14 ans, les visages sont brouillés sur le mur.",
    }.get(settings.blur_faces)


def policy(settings: Settings, lang: str) -> tuple[Section, ...]:
    """The privacy policy, section by section."""
    return _policy_en(settings) if lang == "en" else _policy_fr(settings)


def _policy_fr(settings: Settings) -> tuple[Section, ...]:
    until = french.long_date(settings.photos_kept_until, "fr")
    tag = f"#{settings.hashtags[0]}"
    contact = settings.contact_address or NOT_SET_FR
    return (
        Section(
            "Qui est responsable",
            (
                f"Le mur de la vague verte {tag} est tenu par : {organizer(settings, 'fr')}.",
                f"Personne responsable de la protection des renseignements personnels : "
                f"{officer(settings, 'fr')}.",
                f"Pour toute question ou demande de retrait : {contact}.",
            ),
        ),
        Section(
            "Les photos envoyées sur la page d'envoi",
            (
                "Nous gardons la photo (refaite à partir des pixels seulement, sans position GPS "
                "ni autres données cachées), le petit texte, la région, le prénom ou pseudo "
                "(montré seulement si la case est cochée) et l'école.",
                "L'école sert à l'équipe de modération : reconnaître une photo de classe et "
                "répondre à une école. Elle n'est montrée sur un mur public d'école que si la "
                "case de cette utilisation est cochée.",
                "Nous gardons aussi la réponse sur l'âge, qui a donné l'accord (la personne, "
                "son parent ou son école), la version du texte d'accord, l'heure de l'accord "
                "et chaque case cochée : mur public de l'école, sites des partenaires, archives "
                "de la campagne. Chaque utilisation a sa propre case, décochée au départ.",
                under_14_sentence(settings, "fr"),
                "Une personne de l'équipe de modération regarde chaque photo avant qu'elle "
                "soit affichée.",
            ),
        ),
        Section(
            "Les publications prises sur les réseaux sociaux",
            (
                f"Le mur affiche aussi des publications publiques qui portent le mot-clic {tag} "
                "(par exemple sur Mastodon, Bluesky, Pixelfed, Instagram ou Flickr), après "
                "vérification. Il montre la photo, le texte, le nom et le pseudo de l'auteur "
                "tels qu'ils paraissent sur le réseau, avec un lien vers la publication.",
                "Une publication effacée sur le réseau est retirée du mur à la vérification "
                "suivante. Vous pouvez aussi demander son retrait avec le formulaire de retrait.",
            ),
        ),
        Section(
            "Adresses IP et journaux",
            (
                "Le mur ne garde jamais d'adresse IP en clair : il en garde une empreinte "
                "chiffrée avec une clé secrète, qui sert seulement à limiter le nombre d'envois "
                "et de demandes par appareil.",
                "Le serveur web note les requêtes (adresse IP, page demandée, heure) dans ses "
                "journaux techniques, pour la sécurité et le dépannage. Ils sont effacés au "
                f"plus tard {until}.",
            ),
        ),
        Section(
            "Comptes de modération et journal d'audit",
            (
                "Pour chaque personne de l'équipe de modération, le mur garde son courriel, "
                "une empreinte de son mot de passe, son second facteur s'il y a lieu, ses "
                "sessions et ses tentatives de connexion.",
                "Le journal d'audit note qui a approuvé, refusé ou retiré quelle photo, et "
                f"quand. Il est gardé {settings.audit_keep_days} jours; les textes libres y "
                "sont effacés avec les photos.",
            ),
        ),
        Section(
            "Témoins (cookies)",
            (
                "Les pages publiques (le mur, la page d'envoi, cette page) ne déposent aucun "
                "témoin et n'utilisent aucun outil de suivi ni de statistiques externes. Seule "
                "l'équipe de modération reçoit un témoin de session en se connectant.",
            ),
        ),
        Section(
            "Où sont gardées les données",
            (storage_sentence(settings, "fr"),),
        ),
        Section(
            "Combien de temps",
            (
                f"Les photos et ce qui les accompagne sont effacés au plus tard {until}. L'envoi "
                "de photos ferme avant cette date. Une photo gardée dans les archives de la "
                "campagne (seulement si la case est cochée) peut être retirée en tout temps sur "
                "demande.",
            ),
        ),
        Section(
            "Vos droits",
            (
                "Vous pouvez demander de voir les renseignements qui vous concernent, de les "
                "faire corriger ou effacer, et retirer votre accord en tout temps. Écrivez à : "
                f"{officer(settings, 'fr')}. Nous répondons dans un délai de {ANSWER_DAYS} "
                "jours.",
                "Pour retirer une photo : le lien privé reçu après l'envoi l'efface tout de "
                "suite. Sans ce lien, le formulaire « Demander le retrait d'une photo » suffit : "
                "une demande de la personne sur la photo ou de son parent est toujours "
                f"acceptée, dans un délai de {settings.removal_delay_hours} heures.",
            ),
        ),
        Section(
            "Porter plainte",
            (
                "Écrivez d'abord à la personne responsable nommée plus haut. Si la réponse ne "
                f"vous satisfait pas, vous pouvez porter plainte à la {CAI_NAME_FR} : "
                f"{CAI_URL}, {CAI_PHONE}.",
            ),
        ),
        Section(
            "Si vous refusez",
            (
                "Rien n'est obligatoire pour participer à la vague verte : porter du vert "
                "suffit. Sans l'accord demandé, aucune photo n'est envoyée et rien n'est "
                "gardé. Chaque case facultative refusée veut seulement dire que la photo "
                f"n'est pas utilisée de cette façon. Pour qu'une publication n'arrive pas sur "
                f"le mur, il suffit de ne pas utiliser le mot-clic {tag}.",
            ),
        ),
    )


def _policy_en(settings: Settings) -> tuple[Section, ...]:
    until = french.long_date(settings.photos_kept_until, "en")
    tag = f"#{settings.hashtags[0]}"
    contact = settings.contact_address or NOT_SET_EN
    return (
        Section(
            "Who is responsible",
            (
                f"The {tag} green wave wall is run by {organizer(settings, 'en')}.",
                f"{officer(settings, 'en')}.",
                f"For any question or removal request: {contact}.",
            ),
        ),
        Section(
            "Photos sent from the upload page",
            (
                "We keep the photo (rebuilt from its pixels only, without GPS location or other "
                "hidden data), the caption, the region, the first name or nickname (shown only "
                "if its box is ticked) and the school.",
                "The school helps the moderators recognise a class photo and answer a school. "
                "It is shown on a public school wall only if the box for that use is ticked.",
                "We also keep the age answer, who gave the consent (the person, their parent or "
                "their school), the version of the consent wording, when it was given and each "
                "ticked box: school's public wall, partners' websites, the campaign's archive. "
                "Each use has its own box, unticked at first.",
                under_14_sentence(settings, "en"),
                "A person on the moderation team checks every photo before it is shown.",
            ),
        ),
        Section(
            "Posts collected from social networks",
            (
                f"The wall also shows public posts carrying the hashtag {tag} (for instance on "
                "Mastodon, Bluesky, Pixelfed, Instagram or Flickr), once checked. It shows the "
                "photo, the text, the author's name and handle as they appear on the network, "
                "with a link to the post.",
                "A post deleted on the network leaves the wall at the next check. You may also "
                "ask for its removal with the removal form.",
            ),
        ),
        Section(
            "IP addresses and logs",
            (
                "The wall never keeps an IP address in clear: it keeps a fingerprint keyed with "
                "a secret, used only to limit uploads and requests per device.",
                "The web server writes requests (IP address, page, time) to its technical logs, "
                f"for security and troubleshooting. They are deleted by {until} at the latest.",
            ),
        ),
        Section(
            "Moderator accounts and the audit log",
            (
                "For each moderator the wall keeps their email, a hash of their password, their "
                "second factor if any, their sessions and their sign-in attempts.",
                "The audit log records who approved, rejected or removed which photo, and when. "
                f"It is kept {settings.audit_keep_days} days; its free text is deleted with the "
                "photos.",
            ),
        ),
        Section(
            "Cookies",
            (
                "Public pages (the wall, the upload page, this page) set no cookie and use no "
                "tracker nor outside analytics. Only moderators get a session cookie when they "
                "sign in.",
            ),
        ),
        Section("Where the data is stored", (storage_sentence(settings, "en"),)),
        Section(
            "For how long",
            (
                f"Photos and what comes with them are deleted by {until} at the latest. Uploads "
                "close before that date. A photo kept in the campaign's archive (only if its box "
                "is ticked) can be removed at any time on request.",
            ),
        ),
        Section(
            "Your rights",
            (
                "You may ask to see the information about you, have it corrected or deleted, "
                f"and withdraw your consent at any time. Write to the {officer(settings, 'en')}. "
                f"We answer within {ANSWER_DAYS} days.",
                "To remove a photo: the private link given after the upload deletes it at once. "
                "Without it, the form “Ask for a photo's removal” is enough: a request from the "
                "person in the photo or their parent is always granted, within "
                f"{settings.removal_delay_hours} hours.",
            ),
        ),
        Section(
            "Complaints",
            (
                "Write first to the person in charge named above. If the answer does not "
                f"satisfy you, you may complain to the {CAI_NAME_EN}: {CAI_URL}, {CAI_PHONE}.",
            ),
        ),
        Section(
            "If you say no",
            (
                "Nothing is required to take part in the green wave: wearing green is enough. "
                "Without the consent asked for, no photo is sent and nothing is kept. Each "
                "optional box left empty only means the photo is not used that way. To keep a "
                f"post off the wall, do not use the hashtag {tag}.",
            ),
        ),
    )
