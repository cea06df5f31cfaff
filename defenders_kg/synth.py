"""A synthetic franchise shaped like the embedded graph, for measuring every stage at scale.

``synthesize(scale=K, seed=S)`` makes K series in one shared universe, on one platform. Each
series has a source document of sentences with offsets and one statement group per sentence,
creators, a producer and three associated companies from a shared pool, two showrunner tenures,
a cast of fifteen (four leads who reprise their roles from earlier series, ten returning actors
and one new one), characters with superhero identities and a team, dated production and release
events, reception claims and a viewership finding. IRIs are distinct per series; people and
companies are drawn from pools so that they recur across series. The output is the same for the
same K and seed, and valid against the SHACL shapes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

from .errors import FormatError
from .files import write_atomic
from .vocab import DKG, DKGR, DOCUMENT_GRAPH, NIF, PREFIXES, RDF_TYPE, RDFS_LABEL, XSD

_RDF_TYPE = ox.NamedNode(RDF_TYPE)
_LABEL = ox.NamedNode(RDFS_LABEL)
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August"]
_MONTHS += ["September", "October", "November", "December"]
_MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def _iri(local: str) -> ox.NamedNode:
    return ox.NamedNode(DKGR + local)


def _dkg(local: str) -> ox.NamedNode:
    return ox.NamedNode(DKG + local)


def _en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


def _typed(value: object, datatype: str) -> ox.Literal:
    return ox.Literal(
        str(value).lower() if isinstance(value, bool) else str(value),
        datatype=ox.NamedNode(XSD + datatype),
    )


_Triple = tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.Literal]


class _Series:
    """Collects the sentences and statement groups of one synthetic series."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.sentences: list[tuple[str, list[_Triple]]] = []

    def sentence(self, text: str) -> list[_Triple]:
        triples: list[_Triple] = []
        self.sentences.append((text, triples))
        return triples

    def quads(self) -> Iterator[ox.Quad]:
        doc_graph = ox.NamedNode(DOCUMENT_GRAPH)
        context = _iri(f"synth-{self.index}-document")
        text = " ".join(sentence for sentence, _ in self.sentences)
        yield ox.Quad(context, _RDF_TYPE, ox.NamedNode(NIF + "Context"), doc_graph)
        yield ox.Quad(context, _LABEL, _en(f"Synthetic document {self.index}"), doc_graph)
        yield ox.Quad(context, ox.NamedNode(NIF + "isString"), ox.Literal(text), doc_graph)
        offset = 0
        for number, (sentence_text, triples) in enumerate(self.sentences, 1):
            sentence = _iri(f"synth-{self.index}-sentence-{number:02d}")
            group = _iri(f"synth-{self.index}-s{number:02d}-stated")
            begin, end = offset, offset + len(sentence_text)
            offset = end + 1
            for p, o in (
                (_RDF_TYPE, ox.NamedNode(NIF + "Sentence")),
                (_LABEL, _en(f"Sentence {number} of synthetic document {self.index}")),
                (_dkg("sentenceNumber"), _typed(number, "integer")),
                (ox.NamedNode(NIF + "referenceContext"), context),
                (ox.NamedNode(NIF + "beginIndex"), _typed(begin, "nonNegativeInteger")),
                (ox.NamedNode(NIF + "endIndex"), _typed(end, "nonNegativeInteger")),
                (ox.NamedNode(NIF + "anchorOf"), ox.Literal(sentence_text)),
            ):
                yield ox.Quad(sentence, p, o, doc_graph)
            for p, o in (
                (_RDF_TYPE, _dkg("StatementGroup")),
                (
                    _LABEL,
                    _en(f"Triples stated by sentence {number} of synthetic document {self.index}"),
                ),
                (_dkg("evidence"), sentence),
                (_dkg("support"), _dkg("Explicit")),
            ):
                yield ox.Quad(group, p, o, doc_graph)
            for s, p, o in triples:
                yield ox.Quad(s, p, o, group)


def synthesize(scale: int, seed: int = 0) -> list[ox.Quad]:
    """The quads of a synthetic franchise of ``scale`` series (statement groups as named graphs).

    >>> quads = synthesize(2, seed=1)
    >>> quads == synthesize(2, seed=1) and len(quads) > 500
    True
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    rng = random.Random(seed)
    people = max(40, scale * 8)
    companies = max(8, scale // 2)
    quads: list[ox.Quad] = []
    shared = _Series(0)
    universe, platform, country = (
        _iri("synth-universe"),
        _iri("synth-platform"),
        _iri("synth-country"),
    )
    collection, publisher = _iri("synth-collection"), _iri("synth-publisher")
    critics, analysts = _iri("synth-critics"), _iri("synth-analysts")
    triples = shared.sentence(
        "The synthetic franchise is set in one shared universe on one platform."
    )
    triples += [
        (universe, _RDF_TYPE, _dkg("SharedUniverse")),
        (universe, _LABEL, _en("Synthetic Universe")),
        (platform, _RDF_TYPE, _dkg("StreamingService")),
        (platform, _LABEL, _en("Synthetic Platform")),
        (country, _RDF_TYPE, _dkg("Country")),
        (country, _LABEL, _en("Synthland")),
        (collection, _RDF_TYPE, _dkg("SeriesCollection")),
        (collection, _LABEL, _en("Synthetic Series")),
        (collection, _dkg("fromOrganization"), platform),
        (publisher, _RDF_TYPE, _dkg("ComicsPublisher")),
        (publisher, _LABEL, _en("Synthetic Comics")),
        (critics, _RDF_TYPE, _dkg("AgentGroup")),
        (critics, _LABEL, _en("Critics")),
        (analysts, _RDF_TYPE, _dkg("AgentGroup")),
        (analysts, _LABEL, _en("Analysts")),
    ]
    for number in range(people):
        person = _iri(f"synth-person-{number}")
        triples += [(person, _RDF_TYPE, _dkg("Person")), (person, _LABEL, _en(f"Person {number}"))]
    for number in range(companies):
        company = _iri(f"synth-company-{number}")
        triples += [
            (company, _RDF_TYPE, _dkg("ProductionCompany")),
            (company, _LABEL, _en(f"Company {number}")),
        ]
    quads += shared.quads()
    for index in range(1, scale + 1):
        quads += _series(index, rng, people, companies).quads()
    return quads


def _date(prefix: str, year: int, month: int, day: int | None) -> list[_Triple]:
    node = _iri(prefix)
    last = day or _MONTH_DAYS[month - 1]
    text = f"{_MONTHS[month - 1]} {day}, {year}" if day else f"{_MONTHS[month - 1]} {year}"
    return [
        (node, _RDF_TYPE, _dkg("DateDescription")),
        (node, _LABEL, _en(text)),
        (node, _dkg("dateText"), _en(text)),
        (node, _dkg("precision"), _dkg("DayPrecision" if day else "MonthPrecision")),
        (node, _dkg("earliest"), _typed(f"{year}-{month:02d}-{day or 1:02d}", "date")),
        (node, _dkg("latest"), _typed(f"{year}-{month:02d}-{last:02d}", "date")),
    ]


def _series(index: int, rng: random.Random, people: int, companies: int) -> _Series:
    series = _Series(index)
    work = _iri(f"synth-{index}-series")
    name = f"Synthetic Series {index}"
    cast = rng.sample(range(people), 17)
    creators, actors = cast[:2], cast[2:]
    s = series.sentence(f"{name} is a miniseries created by two people, based on four characters.")
    s += [
        (work, _RDF_TYPE, _dkg("Miniseries")),
        (work, _LABEL, _en(name)),
        (work, _dkg("countryOfOrigin"), _iri("synth-country")),
        (work, _dkg("madeFor"), _iri("synth-platform")),
    ]
    characters = []
    for slot in range(4):
        character, identity = (
            _iri(f"synth-{index}-character-{slot}"),
            _iri(f"synth-{index}-hero-{slot}"),
        )
        characters.append(character)
        s += [
            (character, _RDF_TYPE, _dkg("FictionalCharacter")),
            (character, _LABEL, _en(f"Character {index}.{slot}")),
            (character, _dkg("hasSuperheroIdentity"), identity),
            (identity, _RDF_TYPE, _dkg("SuperheroIdentity")),
            (identity, _LABEL, _en(f"Hero {index}.{slot}")),
            (identity, _dkg("publishedBy"), _iri("synth-publisher")),
            (work, _dkg("basedOn"), identity),
        ]
    team = _iri(f"synth-{index}-team")
    s += [
        (team, _RDF_TYPE, _dkg("SuperheroTeam")),
        (team, _LABEL, _en(f"Team {index}")),
        (work, _dkg("namedAfter"), team),
    ]
    s += [(team, _dkg("hasMember"), _iri(f"synth-{index}-hero-{slot}")) for slot in range(4)]
    for person in creators:
        credit = _iri(f"synth-{index}-creator-{person}")
        s += [
            (credit, _RDF_TYPE, _dkg("CreatorCredit")),
            (credit, _LABEL, _en(f"Creator credit {index}.{person}")),
            (credit, _dkg("creator"), _iri(f"synth-person-{person}")),
            (credit, _dkg("inWork"), work),
        ]

    s = series.sentence(f"{name} is set in the shared universe and produced by four companies.")
    s += [
        (work, _dkg("setIn"), _iri("synth-universe")),
        (work, _dkg("partOfCollection"), _iri("synth-collection")),
    ]
    for slot, company in enumerate(rng.sample(range(companies), 4)):
        involvement = _iri(f"synth-{index}-production-{company}")
        s += [
            (involvement, _RDF_TYPE, _dkg("ProductionInvolvement")),
            (involvement, _LABEL, _en(f"Production involvement {index}.{company}")),
            (involvement, _dkg("company"), _iri(f"synth-company-{company}")),
            (involvement, _dkg("productionOf"), work),
            (involvement, _dkg("capacity"), _dkg("Producer" if slot == 0 else "InAssociationWith")),
        ]

    s = series.sentence(
        f"{name} stars four leads reprising their roles, ten returning actors and one new one."
    )
    for slot, person in enumerate(actors):
        credit = _iri(f"synth-{index}-credit-{slot}")
        lead = slot < 4
        s += [
            (credit, _RDF_TYPE, _dkg("CastCredit")),
            (credit, _LABEL, _en(f"Cast credit {index}.{slot}")),
            (credit, _dkg("actor"), _iri(f"synth-person-{person}")),
            (credit, _dkg("castIn"), work),
            (credit, _dkg("billing"), _dkg("Headlining" if lead else "AlsoStarring")),
            (credit, _dkg("castStatus"), _dkg("NewCast" if slot == 14 else "ReturningCast")),
        ]
        if lead:
            s.append((credit, _dkg("character"), characters[slot]))
            if index > 1:
                s.append(
                    (credit, _dkg("reprisedFrom"), _iri(f"synth-{rng.randrange(1, index)}-series"))
                )

    year = 2000 + index % 20
    s = series.sentence(
        f"Development began in {year}, and filming took place from one month to another."
    )
    filming, development, premiere, release = (
        _iri(f"synth-{index}-{kind}") for kind in ("filming", "development", "premiere", "release")
    )
    s += [
        (development, _RDF_TYPE, _dkg("DevelopmentStart")),
        (development, _LABEL, _en(f"Development of {name}")),
        (development, _dkg("concerns"), work),
        (development, _dkg("hasDate"), _iri(f"synth-{index}-date-dev")),
        (filming, _RDF_TYPE, _dkg("Filming")),
        (filming, _LABEL, _en(f"Filming of {name}")),
        (filming, _dkg("filmingOf"), work),
        (filming, _dkg("hasStart"), _iri(f"synth-{index}-date-start")),
        (filming, _dkg("hasEnd"), _iri(f"synth-{index}-date-end")),
    ]
    s += _date(f"synth-{index}-date-dev", year, rng.randint(1, 12), None)
    s += _date(f"synth-{index}-date-start", year + 1, rng.randint(1, 6), None)
    s += _date(f"synth-{index}-date-end", year + 1, rng.randint(7, 12), None)
    for slot, person in enumerate(creators):
        tenure = _iri(f"synth-{index}-showrunner-{slot}")
        s += [
            (tenure, _RDF_TYPE, _dkg("ShowrunnerTenure")),
            (tenure, _LABEL, _en(f"Showrunner tenure {index}.{slot}")),
            (tenure, _dkg("showrunner"), _iri(f"synth-person-{person}")),
            (tenure, _dkg("inWork"), work),
            (tenure, _dkg("tenureBeganWith"), development),
        ]

    s = series.sentence(f"{name} premiered and was released with eight episodes on the platform.")
    s += [
        (premiere, _RDF_TYPE, _dkg("Premiere")),
        (premiere, _LABEL, _en(f"Premiere of {name}")),
        (premiere, _dkg("releaseOf"), work),
        (premiere, _dkg("hasDate"), _iri(f"synth-{index}-date-premiere")),
        (release, _RDF_TYPE, _dkg("StreamingRelease")),
        (release, _LABEL, _en(f"Release of {name}")),
        (release, _dkg("releaseOf"), work),
        (release, _dkg("platform"), _iri("synth-platform")),
        (release, _dkg("episodesReleased"), _typed(8, "integer")),
        (work, _dkg("numberOfEpisodes"), _typed(8, "integer")),
        (release, _dkg("hasDate"), _iri(f"synth-{index}-date-release")),
    ]
    s += _date(f"synth-{index}-date-premiere", year + 2, 7, rng.randint(1, 28))
    s += _date(f"synth-{index}-date-release", year + 2, 8, rng.randint(1, 28))

    s = series.sentence(
        f"Critics praised {name} for two things and criticised one; it ranked among the series."
    )
    for slot, (aspect, sentiment) in enumerate(
        (("the cast", "Positive"), ("the look", "Positive"), ("the pacing", "Negative"))
    ):
        claim = _iri(f"synth-{index}-reception-{slot}")
        s += [
            (claim, _RDF_TYPE, _dkg("ReceptionClaim")),
            (claim, _LABEL, _en(f"Critics on {aspect} of {name}")),
            (claim, _dkg("claimant"), _iri("synth-critics")),
            (claim, _dkg("about"), work),
            (claim, _dkg("aspect"), _en(aspect)),
            (claim, _dkg("sentiment"), _dkg(sentiment)),
        ]
    finding = _iri(f"synth-{index}-viewership")
    s += [
        (finding, _RDF_TYPE, _dkg("ViewershipFinding")),
        (finding, _LABEL, _en(f"Viewership of {name}")),
        (finding, _dkg("claimant"), _iri("synth-analysts")),
        (finding, _dkg("about"), work),
        (finding, _dkg("measure"), _en("viewership")),
        (finding, _dkg("rankPosition"), _typed(rng.randint(1, 9), "integer")),
        (finding, _dkg("rankingOrder"), _dkg("HighestFirst")),
        (finding, _dkg("rankingScope"), _iri("synth-collection")),
        (finding, _dkg("validAt"), release),
    ]
    return series


def write_synthetic(path: str | Path, scale: int, seed: int = 0) -> int:
    """Write a synthetic franchise to ``path`` (TriG for ``.trig``, else N-Quads), atomically.

    Returns the number of quads written.
    """
    target = Path(path)
    fmt = ox.RdfFormat.TRIG if target.suffix.lower() == ".trig" else ox.RdfFormat.N_QUADS
    if target.suffix.lower() not in (".trig", ".nq"):
        raise FormatError(f"{target}: the synthetic graph is written as .trig or .nq")
    quads = synthesize(scale, seed)
    prefixes = PREFIXES if fmt == ox.RdfFormat.TRIG else None
    write_atomic(target, ox.serialize(quads, format=fmt, prefixes=prefixes) or b"")
    return len(quads)
