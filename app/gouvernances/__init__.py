"""France Numérique Ensemble gouvernances (Espace FNE).

- ``calendrier``: the campaign milestones (data edited by ANCT) and the ONE function that enforces
  every deadline, ``verifier_echeance(cle, maintenant)``.
- ``participation``: the public form "Participer à l'élaboration des feuilles de route" (personas,
  porter / participer, perimeter, contacts), the confirmation email and the préfets' daily digest.
- ``gouvernance``: what a préfet reads (counters, actors with badges, contacts CSV) and the
  gouvernances pressenties (form engine definition ``gouvernance-pressentie``) under the deadline.
- ``tableau_de_bord``: the département dashboard (SQL aggregates, constant number of queries).
- ``lieux``: the lieux de médiation numérique imported from a data-inclusion CSV.
- ``hubs``: AMI Hubs (ANCT-managed; a hub user reads its régions).

Rules are plain functions over the models; views, API, CLI and tests call them.
"""


def register_views(app, appbuilder) -> None:
    from app.gouvernances.views import register

    register(app, appbuilder)
