"""Forms of the invitation screens (Flask-WTF: CSRF token, French messages next to the fields)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

PASSWORD_MIN_LENGTH = 12


class InviterPrefetForm(FlaskForm):
    email = EmailField(
        "Adresse électronique",
        validators=[DataRequired("Indiquez l'adresse électronique de la personne à inviter."),
                    Email("Adresse électronique invalide."),
                    Length(max=320, message="320 caractères au plus.")],
        description="Elle servira d'identifiant de connexion.",
    )
    departement = SelectField("Département", choices=[], validate_choice=False,
                              description="Pour un préfet de département.")
    region = SelectField("Région", choices=[], validate_choice=False, description="Pour un préfet de région.")

    def __init__(self, *args, departements=(), regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.departement.choices = [("", "— Aucun —")] + [(d.code, f"{d.code} — {d.nom}") for d in departements]
        self.region.choices = [("", "— Aucune —")] + [(r.code, f"{r.nom} ({r.code})") for r in regions]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        departement, region = self.departement.data or "", self.region.data or ""
        known_departements = {code for code, _ in self.departement.choices if code}
        known_regions = {code for code, _ in self.region.choices if code}
        if departement and departement not in known_departements:
            self.departement.errors.append("Département inconnu.")
            ok = False
        if region and region not in known_regions:
            self.region.errors.append("Région inconnue.")
            ok = False
        if departement and region:
            self.departement.errors.append("Choisissez soit un département, soit une région, pas les deux.")
            ok = False
        elif not departement and not region:
            self.departement.errors.append("Choisissez un département (préfet de département) "
                                           "ou une région (préfet de région).")
            ok = False
        return ok


class ImporterPrefetsForm(FlaskForm):
    fichier = FileField(
        "Fichier CSV",
        validators=[FileRequired("Choisissez un fichier CSV."),
                    FileSize(max_size=1024 * 1024, message="Le fichier dépasse 1 Mo.")],
        description="Colonnes : email ; Département/Région ; code. Séparateur « ; » ou « , », UTF-8 ou Excel.",
    )

    def validate_fichier(self, field):
        filename = (getattr(field.data, "filename", "") or "").lower()
        if not filename.endswith((".csv", ".txt")):
            raise ValidationError("Le fichier doit être au format CSV (extension .csv).")


class AccepterInvitationForm(FlaskForm):
    first_name = StringField("Prénom", validators=[DataRequired("Indiquez votre prénom."),
                                                        Length(max=64, message="64 caractères au plus.")])
    last_name = StringField("Nom", validators=[DataRequired("Indiquez votre nom."),
                                                 Length(max=64, message="64 caractères au plus.")])
    password = PasswordField(
        "Mot de passe",
        validators=[DataRequired("Choisissez un mot de passe."),
                    Length(min=PASSWORD_MIN_LENGTH, max=128,
                           message=f"Le mot de passe doit compter au moins {PASSWORD_MIN_LENGTH} caractères "
                                   "(128 au plus).")],
        description=f"Au moins {PASSWORD_MIN_LENGTH} caractères. Une phrase de plusieurs mots est une bonne idée.",
    )
    confirmation = PasswordField(
        "Confirmation du mot de passe",
        validators=[DataRequired("Saisissez à nouveau le mot de passe."),
                    EqualTo("password", "Les deux mots de passe ne sont pas identiques.")],
    )

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email.lower()

    def validate_password(self, field):
        if field.data and self._email and field.data.strip().lower() == self._email:
            raise ValidationError("Le mot de passe ne peut pas être votre adresse électronique.")
