"""Uploaded document files: accepted types and size, storage under UPLOAD_DIR/contenus (outside the
web root, random names), and the new version of a document."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.contenus.models import Document, DocumentVersion
from app.extensions import db

TAILLE_MAX_DEFAUT = 10 * 1024 * 1024

# extension -> (MIME type, accepted leading bytes)
FORMATS: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK\x03\x04",)),
    "odp": ("application/vnd.oasis.opendocument.presentation", (b"PK\x03\x04",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK\x03\x04",)),
    "zip": ("application/zip", (b"PK\x03\x04",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}


class FichierRefuse(ValueError):
    pass


def taille_max() -> int:
    return int(current_app.config.get("CONTENUS_DOCUMENT_TAILLE_MAX", TAILLE_MAX_DEFAUT))


def nom_sur(filename: str) -> str:
    name = unicodedata.normalize("NFC", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name).strip(" .")
    return (name or "document")[:200]


def verifier(nom: str, contenu: bytes) -> tuple[str, str]:
    """(extension, MIME type) of an acceptable file, or FichierRefuse with the reason in French."""
    ext = nom.rsplit(".", 1)[-1].lower() if "." in nom else ""
    if ext not in FORMATS:
        raise FichierRefuse("Format non accepté : " + ", ".join(sorted(e.upper() for e in FORMATS)) + ".")
    if not contenu:
        raise FichierRefuse("Le fichier est vide.")
    limite = taille_max()
    if len(contenu) > limite:
        raise FichierRefuse(f"Le fichier dépasse la taille maximale de {limite // (1024 * 1024)} Mo.")
    mime, signatures = FORMATS[ext]
    if not any(contenu.startswith(s) for s in signatures):
        raise FichierRefuse(f"Le contenu du fichier ne correspond pas à un fichier {ext.upper()}.")
    return ext, mime


def racine() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]).resolve() / "contenus"


def chemin(version: DocumentVersion) -> Path | None:
    root = racine()
    path = (root / version.fichier).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def ajouter_version(document: Document, nom: str, contenu: bytes, user_id: int | None = None) -> DocumentVersion:
    """Store the file and add it as the document's newest version (earlier ones are kept)."""
    nom = nom_sur(nom)
    ext, mime = verifier(nom, contenu)
    root = racine()
    root.mkdir(parents=True, exist_ok=True)
    fichier = f"{secrets.token_hex(16)}.{ext}"
    (root / fichier).write_bytes(contenu)
    numero = 1
    if document.id is not None:
        numero = (db.session.scalar(select(func.max(DocumentVersion.numero))
                                    .where(DocumentVersion.document_id == document.id)) or 0) + 1
    numero = max([numero, *[v.numero + 1 for v in document.versions]])
    version = DocumentVersion(numero=numero, nom_original=nom, fichier=fichier, type_mime=mime, taille=len(contenu),
                              sha256=hashlib.sha256(contenu).hexdigest(), depose_par_id=user_id)
    document.versions.insert(0, version)
    return version


def lire_upload(upload: FileStorage | None) -> tuple[str, bytes] | None:
    if upload is None or not getattr(upload, "filename", ""):
        return None
    limite = taille_max()
    contenu = upload.stream.read(limite + 1)
    return upload.filename, contenu
