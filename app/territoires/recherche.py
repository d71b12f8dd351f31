"""« Rechercher la collectivité »: accent-, case- and punctuation-insensitive search.

Rules (DOMAIN.md §1): the query is lower-cased, accents and punctuation stripped; every query word
must match the start of a word of the name (``st``/``ste`` also stand for ``saint``/``sainte``) or
a code (INSEE code and postal codes by prefix, SIREN, département and région codes exactly).
Best matches first: exact name (or exact code), then names starting with the query, then by
population (largest first). Communes are shown "Nom (CP1, CP2)", départements "Isère (38)".

Technique: an in-process index of the ~36,500 territories (communes, EPCI, départements,
régions), built once from the database (about half a second) and shared by the threads of a process. Each
search reads the version token of the territories (`territoires_version`, one primary-key row),
so every process — every gunicorn worker — rebuilds its index after an import or any ORM change
of a territory. (A missing row is no token: then nothing is cached.) A search then costs well under a millisecond of Python work.
"""

from __future__ import annotations

import bisect
import gc
import heapq
import logging
import re
import threading
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db

_NON_ALNUM = re.compile(r"[^a-z0-9]+")

TYPES = ("commune", "epci", "departement", "region")
LIMITE_DEFAUT = 10
LIMITE_MAX = 50
LONGUEUR_MAX = 100
# Usual abbreviations: the query word matches its own prefix or the full word's.
ABREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
# EPCI names start with their kind's acronym; the words spelt out match too ("communaute agglo annecy").
SIGLES_EPCI = {"cc": ("communaute", "de", "communes"), "ca": ("communaute", "d", "agglomeration"),
               "cu": ("communaute", "urbaine")}
_CODE_POSTAL = re.compile(r"^\d{5}$")


def normaliser(texte: str) -> str:
    """'Saint-Étienne' -> 'saint etienne': lower case, no accents, punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", texte.lower())
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", without_accents.replace("œ", "oe").replace("æ", "ae")).strip()


class RechercheInvalide(ValueError):
    """A search parameter is wrong; the message is French and shown to the user."""


@dataclass(slots=True)
class Entree:
    type: str
    code: str
    nom: str
    nom_norm: str
    departement: str | None
    region: str | None
    population: int | None
    codes_postaux: tuple[str, ...]  # communes only, for the label
    texte: str  # " " + every word that matches by prefix (name words, INSEE code, postal codes)
    exact: str | None  # the code that only matches whole: SIREN, département / région code
    # Territories this one overlaps, for the département / région filters (shared tuples).
    departements: tuple[str, ...]
    regions: tuple[str, ...]

    @property
    def libelle(self) -> str:
        if self.type == "commune":
            return f"{self.nom} ({', '.join(self.codes_postaux)})" if self.codes_postaux else self.nom
        if self.type == "departement":
            return f"{self.nom} ({self.code})"
        return self.nom

    def as_dict(self) -> dict:
        return {"type": self.type, "code": self.code, "nom": self.nom, "libelle": self.libelle,
                "departement": self.departement, "region": self.region, "population": self.population}


class _SortedKeys:
    """Sorted keys with the ids of each key in one flat array: a prefix is one contiguous slice."""

    __slots__ = ("keys", "offsets", "ids")

    def __init__(self, pairs: dict[str, list[int]]):
        self.keys = sorted(pairs)
        self.offsets = array("I", [0])
        self.ids = array("I")
        for key in self.keys:
            self.ids.extend(pairs[key])
            self.offsets.append(len(self.ids))

    def span(self, key: str, prefix: bool) -> tuple[int, int]:
        lo = bisect.bisect_left(self.keys, key)
        hi = bisect.bisect_left(self.keys, key + "\uffff", lo) if prefix else bisect.bisect_right(self.keys, key, lo)
        return self.offsets[lo], self.offsets[hi]


@dataclass
class Index:
    entrees: list[Entree]  # position (id) = rank: population desc, then type, name, code
    mots: _SortedKeys  # name words (EPCI acronyms spelt out too)
    codes: _SortedKeys  # INSEE codes (lower case) and postal codes: by prefix, or whole for the exact tier
    exacts: _SortedKeys  # SIREN, département and région codes: whole only
    noms: list[str]  # every normalized name, sorted
    ordre_noms: array  # ids parallel to `noms`
    departement_region: dict[str, str]
    regions: set[str]
    cp_departement: dict[str, str]
    codes_postaux_corses: list[str]  # sorted
    # ids per kind, per département and per région overlapped, for the filters.
    par_type: dict[str, array]
    par_departement: dict[str, array]
    par_region: dict[str, array]

    # --- construction -------------------------------------------------------------------
    @classmethod
    def construire(cls, regions, departements, epcis, communes) -> Index:
        """regions: (code, nom); departements: (code, nom, region); epcis: (code, nom, population,
        nom_recherche); communes: (code, nom, departement, region, epci, siren, codes_postaux,
        population, nom_recherche)."""
        shared: dict = {}  # one object for equal strings / tuples: ~35,000 rows repeat the same codes

        def one(value):
            return shared.setdefault(value, value)

        departement_region = {one(code): one(region) for code, _nom, region in departements}
        deps_of_region: dict[str, list[str]] = defaultdict(list)
        for code, region in departement_region.items():
            deps_of_region[region].append(code)
        pop_dep: dict[str, int] = defaultdict(int)
        pop_reg: dict[str, int] = defaultdict(int)
        epci_deps: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        epci_regs: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        cp_best: dict[str, tuple[int, str, str]] = {}
        entrees: list[Entree] = []

        for code, nom, dep, reg, epci, siren, codes_postaux, population, nom_recherche in communes:
            dep, reg = one(dep), one(reg)
            pop = population or 0
            pop_dep[dep] += pop
            pop_reg[reg] += pop
            if epci:
                epci_deps[epci][dep] += pop + 1  # +1: an EPCI of unpopulated communes still has a home
                epci_regs[epci][reg] += pop + 1
            cps = tuple(one(cp) for cp in (codes_postaux or "").split(",") if cp)
            for cp in cps:
                best = cp_best.get(cp)
                if best is None or (pop, code) > (best[0], best[1]):
                    cp_best[cp] = (pop, code, dep)
            nom_norm = nom_recherche or normaliser(nom)
            entrees.append(Entree(
                type="commune", code=code, nom=nom, nom_norm=nom_norm, departement=dep, region=reg,
                population=population, codes_postaux=one(cps),
                texte=" ".join(("", nom_norm, code.lower(), *cps)), exact=siren or None,
                departements=one((dep,)), regions=one((reg,)),
            ))
        for code, nom, population, nom_recherche in epcis:
            deps = epci_deps.get(code, {})
            regs = epci_regs.get(code, {})
            nom_norm = nom_recherche or normaliser(nom)
            premier = nom_norm.split(" ", 1)[0]
            entrees.append(Entree(
                type="epci", code=code, nom=nom, nom_norm=nom_norm,
                departement=max(deps, key=lambda d: (deps[d], d)) if deps else None,
                region=max(regs, key=lambda r: (regs[r], r)) if regs else None,
                population=population, codes_postaux=(),
                texte=" ".join(("", nom_norm, *SIGLES_EPCI.get(premier, ()))), exact=code,
                departements=one(tuple(sorted(deps))), regions=one(tuple(sorted(regs))),
            ))
        for code, nom, region in departements:
            nom_norm = normaliser(nom)
            entrees.append(Entree(
                type="departement", code=code, nom=nom, nom_norm=nom_norm, departement=code, region=region,
                population=pop_dep.get(code), codes_postaux=(), texte=" " + nom_norm, exact=code.lower(),
                departements=one((code,)), regions=one((region,)),
            ))
        for code, nom in regions:
            nom_norm = normaliser(nom)
            entrees.append(Entree(
                type="region", code=code, nom=nom, nom_norm=nom_norm, departement=None, region=code,
                population=pop_reg.get(code), codes_postaux=(), texte=" " + nom_norm, exact=code.lower(),
                departements=one(tuple(sorted(deps_of_region.get(code, ())))), regions=one((code,)),
            ))
        shared.clear()

        type_rank = {t: i for i, t in enumerate(TYPES)}
        entrees.sort(key=lambda e: (-(e.population or 0), type_rank[e.type], e.nom_norm, e.code))

        mots: dict[str, list[int]] = defaultdict(list)
        codes: dict[str, list[int]] = defaultdict(list)
        exacts: dict[str, list[int]] = defaultdict(list)
        par_type: dict[str, list[int]] = defaultdict(list)
        par_departement: dict[str, list[int]] = defaultdict(list)
        par_region: dict[str, list[int]] = defaultdict(list)
        for i, e in enumerate(entrees):
            for word in set(e.texte.split()):
                (codes if word[0].isdigit() and e.type == "commune" else mots)[word].append(i)
            if e.exact:
                exacts[e.exact].append(i)
            par_type[e.type].append(i)
            for dep in e.departements:
                par_departement[dep].append(i)
            for reg in e.regions:
                par_region[reg].append(i)
        ordre_noms = sorted(range(len(entrees)), key=lambda i: entrees[i].nom_norm)
        return cls(
            entrees=entrees, mots=_SortedKeys(mots), codes=_SortedKeys(codes), exacts=_SortedKeys(exacts),
            noms=[entrees[i].nom_norm for i in ordre_noms], ordre_noms=array("I", ordre_noms),
            departement_region=departement_region, regions={code for code, _nom in regions},
            cp_departement={cp: best[2] for cp, best in cp_best.items()},
            codes_postaux_corses=sorted(cp for cp, best in cp_best.items() if best[2] in ("2A", "2B")),
            par_type={k: array("I", v) for k, v in par_type.items()},
            par_departement={k: array("I", v) for k, v in par_departement.items()},
            par_region={k: array("I", v) for k, v in par_region.items()},
        )

    # --- search -------------------------------------------------------------------------
    def _spans(self, alternatives: tuple[str, ...]) -> list[tuple[array, int, int]]:
        spans = [(self.exacts.ids, *self.exacts.span(alternatives[0], prefix=False))]
        for alt in alternatives:
            spans.append((self.mots.ids, *self.mots.span(alt, prefix=True)))
            spans.append((self.codes.ids, *self.codes.span(alt, prefix=True)))
        return spans

    def _estimate(self, alternatives: tuple[str, ...]) -> int:
        return sum(hi - lo for _ids, lo, hi in self._spans(alternatives))

    def _ids(self, alternatives: tuple[str, ...]) -> set[int]:
        ids: set[int] = set()
        for source, lo, hi in self._spans(alternatives):
            ids.update(source[lo:hi])
        return ids

    @staticmethod
    def _entry_matches(e: Entree, alternatives: tuple[str, ...]) -> bool:
        return e.exact == alternatives[0] or any(" " + alt in e.texte for alt in alternatives)

    def rechercher(self, q: str, types: Iterable[str], departement: str | None, region: str | None,
                   limit: int) -> list[dict]:
        mots = normaliser(q).split()
        if not mots:
            return []
        words = [(w, ABREVIATIONS[w]) if w in ABREVIATIONS else (w,) for w in dict.fromkeys(mots)]
        words.sort(key=self._estimate)
        candidats = self._ids(words[0])
        for alternatives in words[1:]:
            if not candidats:
                break
            if self._estimate(alternatives) <= 4 * len(candidats):
                candidats &= self._ids(alternatives)
            else:
                candidats = {i for i in candidats if self._entry_matches(self.entrees[i], alternatives)}

        entrees = self.entrees
        if set(types) != set(TYPES):
            if len(candidats) <= sum(len(self.par_type.get(t, ())) for t in types):
                candidats = {i for i in candidats if entrees[i].type in types}
            else:
                candidats = set().union(*(candidats.intersection(self.par_type.get(t, ())) for t in types))
        for code, par_code, attribute in ((departement, self.par_departement, "departements"),
                                          (region, self.par_region, "regions")):
            if code and candidats:
                ids = par_code.get(code, ())
                if len(candidats) <= len(ids):
                    candidats = {i for i in candidats if code in getattr(entrees[i], attribute)}
                else:
                    candidats = candidats.intersection(ids)
        if not candidats:
            return []

        requete = " ".join(mots)
        formes = dict.fromkeys((requete, " ".join(ABREVIATIONS.get(m, m) for m in mots)))
        exact: set[int] = set()
        debut: set[int] = set()
        for forme in formes:
            lo = bisect.bisect_left(self.noms, forme)
            hi = bisect.bisect_left(self.noms, forme + "\uffff", lo)
            debut.update(self.ordre_noms[lo:hi])
            exact.update(self.ordre_noms[lo:bisect.bisect_right(self.noms, forme, lo, hi)])
        if len(mots) == 1:
            exact.update(self.exacts.ids[slice(*self.exacts.span(requete, prefix=False))])
            exact.update(self.codes.ids[slice(*self.codes.span(requete, prefix=False))])

        resultat: list[int] = []
        vus: set[int] = set()
        for groupe in (exact & candidats, debut & candidats, candidats):
            groupe -= vus
            for i in sorted(groupe) if len(groupe) <= 4 * limit else heapq.nsmallest(limit, groupe):
                resultat.append(i)
                if len(resultat) == limit:
                    return [entrees[j].as_dict() for j in resultat]
            vus |= groupe
        return [entrees[j].as_dict() for j in resultat]

    def departement_pour_code_postal(self, cp: str) -> str | None:
        if cp in self.cp_departement:
            return self.cp_departement[cp]
        if cp.startswith("20"):  # Corse: the nearest known postal code of the commune data
            if self.codes_postaux_corses:
                nearest = min(self.codes_postaux_corses, key=lambda c: (abs(int(c) - int(cp)), c))
                return self.cp_departement[nearest]
            return "2A" if int(cp) < 20200 else "2B"  # the usual split, should the data lack Corse
        if cp[:2] in ("97", "98"):
            return cp[:3] if cp[:3] in self.departement_region else None
        return cp[:2] if cp[:2] in self.departement_region else None


# --- process cache, keyed on the version token ------------------------------------------------

_lock = threading.Lock()
_cache: tuple[str, Index] | None = None
_absence_signalee = False
log = logging.getLogger(__name__)


def _read_index() -> Index:
    from app.models.territoires import Commune, Departement, Epci, Region

    # ~250,000 long-lived objects: the cyclic GC would scan them again and again while they are built.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        connection = db.session.connection()
        r, d, e, c = (m.__table__.c for m in (Region, Departement, Epci, Commune))
        return Index.construire(
            connection.execute(select(r.code, r.nom)).all(),
            connection.execute(select(d.code, d.nom, d.region_code)).all(),
            connection.execute(select(e.code, e.nom, e.population, e.nom_recherche)).all(),
            connection.execute(select(c.code, c.nom, c.departement_code, c.region_code, c.epci_code, c.siren,
                                      c.codes_postaux, c.population, c.nom_recherche)).all(),
        )
    finally:
        if gc_was_enabled:
            gc.enable()


def index_courant() -> Index:
    """The index of the territories as they are now in the database (rebuilt after any change)."""
    global _cache
    from app.models.territoires import TerritoiresVersion

    jeton = db.session.scalar(select(TerritoiresVersion.jeton).where(TerritoiresVersion.id == 1))
    if jeton is None:
        # Without the row nothing tells when the territories change: no cache. The migration creates
        # the row and every import renews it, so this only happens if someone deleted it.
        global _absence_signalee
        if not _absence_signalee:
            _absence_signalee = True
            log.warning("territoires_version est vide : l'index de recherche est reconstruit à chaque appel "
                        "(lancez « flask --app app territoires import »).")
        return _read_index()
    cached = _cache
    if cached is not None and cached[0] == jeton:
        return cached[1]
    with _lock:
        cached = _cache
        if cached is not None and cached[0] == jeton:
            return cached[1]
        index = _read_index()
        _cache = (jeton, index)
        return index


# --- public API ---------------------------------------------------------------------------------

def _valider(q: str, types, departement, region, limit, index: Index):
    if not isinstance(q, str):
        raise RechercheInvalide("Le texte recherché doit être une chaîne de caractères.")
    if len(q) > LONGUEUR_MAX:
        raise RechercheInvalide(f"La recherche est trop longue ({LONGUEUR_MAX} caractères au plus).")
    if isinstance(types, str):
        types = (types,)
    types = tuple(dict.fromkeys(t.strip().lower() for t in types if t and t.strip()))
    if not types:
        raise RechercheInvalide("Indiquez au moins un type de collectivité : " + ", ".join(TYPES) + ".")
    inconnus = [t for t in types if t not in TYPES]
    if inconnus:
        raise RechercheInvalide(f"Type de collectivité inconnu : {', '.join(inconnus)}. "
                                f"Types possibles : {', '.join(TYPES)}.")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= LIMITE_MAX:
        raise RechercheInvalide(f"Le nombre de résultats doit être un entier entre 1 et {LIMITE_MAX}.")
    if departement is not None:
        departement = departement.strip().upper()
        if departement not in index.departement_region:
            raise RechercheInvalide(f"Département inconnu : {departement}.")
    if region is not None:
        region = region.strip()
        if region not in index.regions:
            raise RechercheInvalide(f"Région inconnue : {region}.")
    return types, departement, region


def rechercher(q: str, types: Iterable[str] = TYPES, departement: str | None = None,
               region: str | None = None, limit: int = LIMITE_DEFAUT) -> list[dict]:
    """Territories matching `q`, best first: dicts {type, code, nom, libelle, departement, region,
    population}. Raises RechercheInvalide (French message) on a wrong parameter."""
    index = index_courant()
    types, departement, region = _valider(q, types, departement, region, limit, index)
    return index.rechercher(q, types, departement, region, limit)


def departement_pour_code_postal(cp: str) -> str | None:
    """The département of a postal code, or None when it cannot be one.

    A postal code used by communes of several départements gives the département of its most
    populated commune. Unknown codes follow the rules: Corse (20xxx) by the nearest postal code of
    the commune data, overseas (97x, 98x) the 3-digit code, otherwise the first two digits —
    always a département that exists.
    """
    cp = (cp or "").strip()
    if not _CODE_POSTAL.match(cp):
        return None
    return index_courant().departement_pour_code_postal(cp)
