"""Uploaded files: type and size checks (extension and content), storage under UPLOAD_DIR."""

from __future__ import annotations

import re
import secrets
import unicodedata
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage

from app.formulaires.types_champs import Invalide

# extension -> (MIME type, accepted leading bytes; None: text, checked as such)
FORMATS: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK\x03\x04",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "csv": ("text/csv", None),
    "txt": ("text/plain", None),
}
DEFAULT_MAX_SIZE_MB = 5


def _size(upload: FileStorage) -> int:
    stream = upload.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def nom_sur(filename: str) -> str:
    """A display name without path nor control characters (the stored file gets a random name)."""
    name = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name).strip(" .")
    return (name or "fichier")[:150]


def extension(filename: str) -> str:
    name = nom_sur(filename)
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def verifier_fichier(spec: dict, upload: FileStorage) -> dict:
    """Metadata of an acceptable upload, or Invalide with the reason in French."""
    accepted = [a.lower() for a in spec.get("accept") or ["pdf"]]
    labels = ", ".join(a.upper() for a in accepted)
    ext = extension(upload.filename or "")
    if ext not in accepted or ext not in FORMATS:
        raise Invalide(f"Format de fichier non accepté : formats acceptés {labels}.")
    max_mb = spec.get("max_size_mb", DEFAULT_MAX_SIZE_MB)
    size = _size(upload)
    if size == 0:
        raise Invalide("Le fichier est vide.")
    if size > max_mb * 1024 * 1024:
        raise Invalide(f"Le fichier dépasse la taille maximale de {str(max_mb).replace('.', ',')} Mo.")
    mime, signatures = FORMATS[ext]
    head = upload.stream.read(4096)
    upload.stream.seek(0)
    if signatures is None:
        if b"\x00" in head:
            raise Invalide("Le contenu du fichier ne correspond pas à son format déclaré.")
    elif not any(head.startswith(s) for s in signatures):
        raise Invalide(f"Le contenu du fichier ne correspond pas à un fichier {ext.upper()}.")
    return {"nom": nom_sur(upload.filename or ""), "taille": size, "type": mime}


def racine() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]).resolve() / "formulaires"


def enregistrer(form_id: str, upload: FileStorage, meta: dict) -> dict:
    """Write the upload under a random name; returns the answer (metadata + relative path)."""
    folder = racine() / re.sub(r"[^a-z0-9-]", "", form_id)
    folder.mkdir(parents=True, exist_ok=True)
    ext = extension(meta["nom"]) or "bin"
    path = folder / f"{secrets.token_hex(16)}.{ext}"
    upload.stream.seek(0)
    upload.save(path)
    return {**meta, "chemin": str(path.relative_to(racine()))}


def chemin_absolu(answer: dict) -> Path | None:
    """The file of an answer, only if it lies inside the upload folder and exists."""
    root = racine()
    relative = answer.get("chemin") if isinstance(answer, dict) else None
    if not isinstance(relative, str):
        return None
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def supprimer(answers: list[dict]) -> None:
    for answer in answers:
        path = chemin_absolu(answer)
        if path is not None:
            path.unlink(missing_ok=True)
