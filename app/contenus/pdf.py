"""A minimal, valid one-page PDF with a few lines of text (demo documents), without any dependency."""

from __future__ import annotations


def _texte_pdf(text: str) -> str:
    # WinAnsiEncoding covers French accents; escape the PDF string delimiters.
    encoded = text.encode("cp1252", "replace").decode("latin-1")
    return encoded.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_minimal(titre: str, lignes: list[str]) -> bytes:
    contenu = ["BT", "/F1 18 Tf", "56 780 Td", f"({_texte_pdf(titre)}) Tj", "/F1 11 Tf", "0 -30 Td"]
    for ligne in lignes:
        contenu += [f"({_texte_pdf(ligne)}) Tj", "0 -16 Td"]
    contenu.append("ET")
    flux = "\n".join(contenu).encode("latin-1")
    objets = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(flux)).encode() + b" >>\nstream\n" + flux + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title (" + _texte_pdf(titre).encode("latin-1") + b") /Producer (Pilotage FNE) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for numero, objet in enumerate(objets, start=1):
        offsets.append(len(out))
        out += f"{numero} 0 obj\n".encode() + objet + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objets) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objets) + 1} /Root 1 0 R /Info {len(objets)} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)
