"""What a compte rendu d'activité (CRA) records, as stable codes with their French labels.

The codes are what the CSV import and the API accept and what the monthly roll-up's column names
are built from: never rename one (add a new code instead).
"""

CANAUX = {
    "rattachement": "Lieu de rattachement",
    "autre_lieu": "Autre lieu (permanence, itinérance)",
    "domicile": "À domicile",
    "distance": "À distance",
}

ACTIVITES = {
    "individuel": "Accompagnement individuel",
    "atelier": "Atelier collectif",
    "redirection": "Redirection vers une structure",
}

DUREES = {
    "moins_30": "Moins de 30 minutes",
    "30_60": "30 à 60 minutes",
    "60_120": "1 à 2 heures",
    "plus_120": "Plus de 2 heures",
}

AGES = {
    "moins_12": "Moins de 12 ans",
    "12_18": "12 à 18 ans",
    "18_35": "18 à 35 ans",
    "35_60": "35 à 60 ans",
    "plus_60": "Plus de 60 ans",
}

STATUTS = {
    "etudiant": "Scolarisé(e) ou étudiant(e)",
    "sans_emploi": "Sans emploi, en recherche d'emploi",
    "en_emploi": "En emploi",
    "retraite": "Retraité(e)",
    "heterogene": "Hétérogène ou non renseigné",
}

# Several themes per report, stored as a bit mask: the position in this dict is the bit (append only).
THEMES = {
    "equipement": "Prendre en main du matériel (ordinateur, tablette)",
    "smartphone": "Prendre en main un smartphone",
    "internet": "Naviguer sur internet",
    "courriel": "Courriels",
    "bureautique": "Traitement de texte et bureautique",
    "contenus": "Gérer ses contenus numériques",
    "vocabulaire": "Vocabulaire du numérique",
    "echanger": "Échanger avec ses proches",
    "emploi": "Trouver un emploi ou une formation",
    "parentalite": "Accompagner son enfant",
    "entreprise": "Numérique et TPE/PME",
    "demarches": "Démarches en ligne",
    "securite": "Sécurité en ligne",
    "fraude": "Arnaques et cyberharcèlement",
    "sante": "Santé en ligne (Mon espace santé…)",
    "budget": "Budget et achats en ligne",
    "scolarite": "Scolarité et numérique",
    "diagnostic": "Diagnostic numérique",
    "autre": "Autre",
}
THEME_BITS = {code: 1 << i for i, code in enumerate(THEMES)}

# Columns of the monthly roll-up (one row per month × conseiller × structure), beside nb_cra and
# nb_participants: a count of reports per canal, activity, duration and theme, and a sum of people per
# activity, age band and status.
COMPTES = (
    [f"canal_{c}" for c in CANAUX]
    + [f"activite_{c}" for c in ACTIVITES]
    + [f"participants_{c}" for c in ACTIVITES]
    + [f"duree_{c}" for c in DUREES]
    + [f"age_{c}" for c in AGES]
    + [f"statut_{c}" for c in STATUTS]
    + [f"theme_{c}" for c in THEMES]
)
MESURES = ["nb_cra", "nb_participants", *COMPTES]


def themes_mask(codes) -> int:
    mask = 0
    for code in codes:
        mask |= THEME_BITS[code]
    return mask


def themes_codes(mask: int) -> list[str]:
    return [code for code, bit in THEME_BITS.items() if mask & bit]
