"""Demo content: pages (coordinator's missions, training offer, Pix and CCP1 REMN), documents (small
generated PDFs), FAQ entries and news about the 2023 campaign (the seed's calendar)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from app import demo
from app.contenus import stockage
from app.contenus.models import Actualite, Document, FaqEntree, Page
from app.contenus.pdf import pdf_minimal
from app.extensions import db

TOUS = ["prefet", "structure", "conseiller", "public"]
PILOTES = ["prefet", "structure"]


def _le(annee: int, mois: int, jour: int, heure: int = 9) -> datetime:
    return datetime(annee, mois, jour, heure, tzinfo=UTC)


PAGES = [
    dict(slug="missions-coordinateur", titre="Missions d'un conseiller numérique coordinateur", rubrique="coordination",
         ordre=1, audiences=TOUS, publie_le=_le(2023, 9, 1),
         resume="Le coordinateur anime et outille les conseillers numériques et les médiateurs de son territoire.",
         corps="""<h2>Animer le réseau local</h2>
<ul><li>Réunir régulièrement les conseillers numériques et les médiateurs numériques du territoire ;</li>
<li>favoriser l'échange de pratiques et la montée en compétences (formation continue) ;</li>
<li>accueillir et accompagner les nouveaux conseillers dans leur prise de poste.</li></ul>
<h2>Structurer l'offre de médiation numérique</h2>
<ul><li>Contribuer au diagnostic des besoins du territoire et à la feuille de route France Numérique Ensemble ;</li>
<li>faire connaître les lieux de médiation numérique (Cartographie nationale) et organiser les orientations ;</li>
<li>faire le lien avec la préfecture, les collectivités et le hub territorial.</li></ul>
<h2>Deux profils de coordinateur</h2>
<p>Un coordinateur effectue uniquement des missions de coordination ; à l'échelon d'un bassin de vie, il peut
aussi accompagner des publics.</p>"""),
    dict(slug="offre-de-formation", titre="Offre de formation des conseillers numériques", rubrique="formation",
         ordre=2, audiences=TOUS, publie_le=_le(2023, 9, 1),
         resume="Formation initiale, formation continue et parcours des coordinateurs.",
         corps="""<h2>Formation initiale</h2><p>Chaque conseiller numérique suit une formation initiale, adaptée
à son positionnement, avant ou au début de sa prise de poste.</p>
<h2>Formation continue</h2><p>Des modules thématiques (accessibilité, parentalité numérique, cybersécurité,
démarches en ligne…) sont proposés tout au long du contrat.</p>
<h2>Coordinateurs</h2><p>Un parcours dédié outille les coordinateurs pour l'animation de réseau et le pilotage
par la donnée.</p>"""),
    dict(slug="certifications-pix-ccp1-remn", titre="Certifications Pix et CCP1 REMN", rubrique="formation", ordre=3,
         audiences=TOUS, publie_le=_le(2023, 9, 1),
         resume="Comprendre les enjeux des deux certifications du parcours des conseillers numériques.",
         corps="""<h2>La certification Pix</h2><p>Elle atteste des compétences numériques du conseiller, mesurées
sur le référentiel européen DigComp.</p>
<h2>Le CCP1 du titre professionnel REMN</h2><p>Le certificat de compétences professionnelles n° 1 du titre
« Responsable d'espace de médiation numérique » reconnaît la capacité à accompagner différents publics vers
l'autonomie dans les usages numériques.</p>
<p>Ces certifications sécurisent le parcours professionnel des conseillers et la qualité du service rendu.</p>"""),
    dict(slug="guide-instruction-aac", titre="Instruire les candidatures coordinateur (brouillon)", rubrique="coordination",
         ordre=9, audiences=["prefet"], statut="brouillon", publie_le=None,
         resume="Page en cours de rédaction.", corps="<p>À compléter.</p>"),
]

DOCUMENTS = [
    dict(titre="Contrat type — conseiller numérique", categorie="contrat_type", audiences=PILOTES,
         description="Modèle de contrat de travail à adapter par la structure employeuse.",
         fichier="contrat-type-conseiller-numerique.pdf", lignes=[
             "Modèle de contrat de travail d'un conseiller numérique.", "Article 1 — Engagement et fonctions.",
             "Article 2 — Durée du contrat (CDD, CDI, contrat de projet public).", "Article 3 — Rémunération.",
             "Document de démonstration."]),
    dict(titre="Kit de communication France Services — Conseiller numérique", categorie="kit_communication",
         audiences=TOUS, description="Logos, affiches et modèles de publications pour faire connaître le dispositif.",
         fichier="kit-communication.pdf", lignes=["Charte graphique, logos et affiches.", "Document de démonstration."]),
    dict(titre="Circulaire du 28 juillet 2023 — gouvernances France Numérique Ensemble", categorie="circulaire",
         audiences=["prefet"], description="Calendrier de mise en œuvre des gouvernances locales.",
         fichier="circulaire-fne-28-juillet-2023.pdf", lignes=[
             "15 octobre 2023 : remonter les gouvernances pressenties.",
             "31 décembre 2023 : périmètre définitif et structures impliquées.",
             "Juin 2024 : feuilles de route approuvées.", "Document de démonstration."]),
    dict(titre="Mode d'emploi du tableau de pilotage — préfectures", categorie="guide", audiences=["prefet"],
         description="Traiter les demandes de coordinateur, consulter les statistiques, exporter les listes.",
         fichier="mode-emploi-tableau-de-pilotage.pdf", lignes=["Document de démonstration."]),
    dict(titre="Note interne (brouillon)", categorie="autre", audiences=PILOTES, statut="brouillon",
         description="Document non publié.", fichier="note-brouillon.pdf", lignes=["Brouillon."]),
]

FAQ = [
    ("aac_coordinateur", "Jusqu'à quand puis-je donner un avis sur une candidature coordinateur ?",
     "<p>L'instruction des candidatures se fait sur le tableau de pilotage avant le 30 décembre 2023. "
     "Le formulaire de motivation des structures ferme le 10 décembre 2023 à 23 h 59 (heure de Paris).</p>",
     ["prefet"]),
    ("aac_coordinateur", "Mon avis est-il définitif ?",
     "<p>L'avis du préfet (favorable ou défavorable, commenté en 250 caractères au plus) est consultatif : "
     "l'ANCT valide ou refuse la demande. Un avis donné ne peut pas être modifié.</p>", ["prefet"]),
    ("aac_coordinateur", "Comment une structure déjà bénéficiaire candidate-t-elle ?",
     "<p>Depuis son tableau de pilotage : menu « Coordination territoriale », « Recrutement d'un coordinateur », "
     "puis « Compléter le formulaire de motivation ».</p>", PILOTES),
    ("fne", "Quand remonter les gouvernances pressenties ?",
     "<p>Avant le <strong>15 octobre 2023</strong> (inclus), via l'espace France Numérique Ensemble ; le périmètre "
     "définitif est attendu au 31 décembre 2023 et les feuilles de route en juin 2024.</p>", ["prefet"]),
    ("tableau_de_pilotage", "Comment accéder au tableau de pilotage ?",
     "<p>À partir du courriel d'invitation envoyé par la plateforme, ou depuis le site Conseiller numérique, "
     "menu « Mon compte », « Tableau de pilotage - préfecture ».</p>", TOUS),
    ("tableau_de_pilotage", "Puis-je exporter la liste des structures et des conseillers ?",
     "<p>Oui : chaque liste propose un export CSV (séparateur point-virgule, lisible par Excel), limité à votre "
     "territoire.</p>", PILOTES),
    ("statistiques", "D'où viennent les statistiques d'accompagnement ?",
     "<p>Des comptes rendus d'activité saisis par les conseillers numériques : canal, type d'activité, thèmes, "
     "durée, tranches d'âge et statuts des personnes accompagnées.</p>", TOUS),
    ("formation", "Qu'est-ce que le CCP1 REMN ?",
     "<p>Le premier certificat de compétences professionnelles du titre « Responsable d'espace de médiation "
     "numérique ».</p>", TOUS),
    ("conseillers", "Qui contacter pour une date de fin de contrat ?",
     "<p>Le support conseiller numérique traite les sujets techniques : renouvellements, dates de fin de contrat "
     "ou de convention, cas particuliers.</p>", PILOTES),
    ("fne", "Question en cours de rédaction", "<p>Brouillon.</p>", TOUS, "brouillon"),
]

ACTUALITES = [
    ("Gouvernances France Numérique Ensemble : remontée avant le 15 octobre 2023",
     "La date de remontée des gouvernances pressenties est reportée du 30 septembre au 15 octobre 2023.",
     "<ul><li><strong>15 octobre 2023</strong> : indiquer les gouvernances territoriales départementales pressenties ;</li>"
     "<li><strong>31 décembre 2023</strong> : retourner le périmètre définitif des feuilles de route et les structures "
     "impliquées ;</li><li><strong>Juin 2024</strong> : transmettre les feuilles de route approuvées.</li></ul>",
     ["prefet"], _le(2023, 9, 20)),
    ("Appel à candidatures : conseillers numériques coordinateurs",
     "Les structures candidatent jusqu'au 10 décembre 2023 ; les préfets donnent leur avis avant le 30 décembre.",
     "<p>Le préfet donne un avis sur chaque candidature, puis l'ANCT valide l'attribution du poste.</p>",
     TOUS, _le(2023, 9, 25)),
    ("L'espace Préfet devient le Tableau de pilotage",
     "Une nouvelle interface pour le suivi et le pilotage du dispositif sur votre territoire.",
     "<p>Structures lauréates, conseillers, demandes de coordinateur, statistiques, documents : tout est réuni.</p>",
     ["prefet"], _le(2023, 10, 5)),
    ("AMI Hubs : notification des lauréats le 9 octobre 2023",
     "Consultation du 24 juillet au 18 septembre 2023 ; lauréats notifiés le 9 octobre 2023.",
     "<p>Financements : postes de coordinateurs régionaux et subventions sur projet dans la limite de 40 000 € par an.</p>",
     TOUS, _le(2023, 10, 9)),
    ("Numériques en Commun[s] : RETEX sur les gouvernances locales le 19 octobre à 15 h",
     "N'oubliez pas de vous inscrire aux rencontres Numériques en Commun[s] 2023.", "", ["prefet"],
     _le(2023, 10, 12)),
    ("Annonce programmée (non encore publiée)", "Cette actualité n'apparaît qu'à sa date de publication.", "",
     TOUS, datetime(2099, 1, 1, tzinfo=UTC)),
]


def contenus_demo(structures, rng: random.Random) -> None:
    for spec in PAGES:
        spec = dict(spec)
        audiences = spec.pop("audiences")
        page = Page(statut=spec.pop("statut", "publie"), **spec)
        page.audiences = audiences
        db.session.add(page)
    for spec in DOCUMENTS:
        document = Document(titre=spec["titre"], categorie=spec["categorie"], description=spec["description"],
                            statut=spec.get("statut", "publie"),
                            publie_le=None if spec.get("statut") == "brouillon" else _le(2023, 9, 1))
        document.audiences = spec["audiences"]
        stockage.ajouter_version(document, spec["fichier"], pdf_minimal(spec["titre"], spec["lignes"]))
        db.session.add(document)
    for ordre, (theme, question, reponse, audiences, *statut) in enumerate(FAQ, start=1):
        entree = FaqEntree(theme=theme, question=question, reponse=reponse, ordre=ordre,
                           statut=statut[0] if statut else "publie",
                           publie_le=None if statut else _le(2023, 9, 1))
        entree.audiences = audiences
        db.session.add(entree)
    for titre, resume, corps, audiences, publie_le in ACTUALITES:
        actualite = Actualite(titre=titre, resume=resume, corps=corps, statut="publie", publie_le=publie_le)
        actualite.audiences = audiences
        db.session.add(actualite)
    db.session.flush()


demo.DEMO_EXTENSIONS.append(contenus_demo)
