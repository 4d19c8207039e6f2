"""The catalogue's data model: pydantic classes for an entry and for the shared vocabularies.

No I/O happens here. Every model forbids unknown keys (the loader turns that into a "did you mean"),
and the exported JSON Schema (``alphatree schema``, kept at ``schema/entry.schema.json``) gives
editors completion through the modeline every entry file starts with.

Shape of the catalogue directory::

    catalog/
      vocabulary/areas.yaml     areas (with the colour each is drawn in)
      vocabulary/tasks.yaml     tasks results are reported on
      vocabulary/datasets.yaml  data sets and benchmarks
      vocabulary/metrics.yaml   metrics, with direction (lower/higher is better), unit and range
      vocabulary/concepts.yaml  ideas no catalogue entry introduces (an entry's ``introduces`` adds the rest)
      vocabulary/paths.yaml     curated learning paths (ordered entries, each with why it matters)
      <area>/<id>.yaml          one paper per file
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MODEL_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
ARXIV_PATTERN = r"^(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})$"
DOI_PATTERN = r"^10\.\d{4,9}/\S+$"

Id = Annotated[str, Field(pattern=ID_PATTERN, description="lower-case kebab id, stable forever")]
ModelName = Annotated[
    str,
    Field(pattern=MODEL_NAME_PATTERN, description="registered implementation name (snake_case), e.g. resnet50"),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --- vocabularies -------------------------------------------------------------------------------


class Area(Strict):
    id: Id
    name: str
    colour: Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$", description="fill colour in diagrams")]
    description: str = ""


class Task(Strict):
    id: Id
    name: str
    description: str = ""


class Dataset(Strict):
    id: Id
    name: str
    year: int | None = Field(default=None, ge=1900, le=2100)
    url: str | None = None
    description: str = ""


class Direction(str, Enum):
    # Upper-case member names: a member called ``lower`` would shadow ``str.lower`` on every member.
    LOWER = "lower"
    HIGHER = "higher"


class Metric(Strict):
    id: Id
    name: str
    direction: Direction = Field(description="which way is better")
    units: list[str] = Field(min_length=1, description="units a value may be given in, e.g. ['%']")
    minimum: float | None = Field(default=None, description="smallest sane value")
    maximum: float | None = Field(default=None, description="largest sane value")
    entry: Id | None = Field(default=None, description="catalogue entry that defines the metric, if any")
    description: str = ""
    complement: Id | None = Field(
        default=None,
        description=(
            "an error metric's accuracy twin (this value = 100 - that one, both in %): leaderboards merge the two"
            " and rank by the accuracy"
        ),
    )
    definition: str = Field(default="", description="what the metric measures, in a few sentences (markdown)")
    formula: str = Field(default="", description="the defining formula in TeX (rendered with KaTeX on the site)")
    computed: str = Field(default="", description="how a value is computed in practice: protocol, sample sizes")
    pitfalls: list[str] = Field(default_factory=list, description="known ways the number misleads")
    implementation: str = Field(
        default="",
        pattern=r"^$|^implementations/[a-z0-9_/]+\.py::[A-Za-z_][A-Za-z0-9_.]*$",
        description="where the repository computes it: 'implementations/fid.py::frechet_distance' (file::symbol)",
    )


class CodePointer(Strict):
    """Lines of the repository that implement a concept, named by file and symbol (never by line number): the
    site resolves the pointer at build time, and a test fails when it no longer resolves."""

    at: str = Field(
        pattern=r"^implementations/[a-z0-9_/]+\.py::[A-Za-z_][A-Za-z0-9_.]*$",
        description="file::symbol, e.g. 'implementations/resnet.py::BasicBlock.forward'",
    )
    note: str = Field(default="", description="what these lines show, in one sentence")


class ConceptDetail(Strict):
    """What a concept page explains beyond the summary (shared by vocabulary concepts and entries' concepts)."""

    explanation: str = Field(
        default="",
        description="a paragraph a learner can follow: what it is, why it helped, its cost (markdown, \\( TeX \\))",
    )
    formula: str = Field(default="", description="the defining formula in TeX (rendered with KaTeX on the site)")
    code: list[CodePointer] = Field(default_factory=list, description="where the repository implements it")


class PaperReference(Strict):
    """A paper outside the catalogue (a concept's origin when no entry introduces it)."""

    citation: str = Field(min_length=3, description="authors, title and venue, e.g. 'Huang and Belongie, ...'")
    year: int = Field(ge=1900, le=2100)
    url: Annotated[str, Field(pattern=r"^https?://")]


class Concept(ConceptDetail):
    id: Id
    name: str
    summary: str = ""
    aliases: list[str] = Field(default_factory=list, description="other names, for search")
    introduced_by: PaperReference | None = Field(
        default=None, description="the paper that introduced it, when that paper is not a catalogue entry"
    )


class PathStep(Strict):
    entry: Id
    why: str = Field(min_length=3, description="why this step matters on the path")


class LearningPath(Strict):
    """A curated route through the catalogue (shown on the site; a starting point for plans)."""

    id: Id
    title: str
    summary: str = ""
    steps: list[PathStep] = Field(min_length=2)


class Vocabulary(Strict):
    """The union of the files under ``catalog/vocabulary/``; each file holds one or more of the lists."""

    areas: list[Area] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    datasets: list[Dataset] = Field(default_factory=list)
    metrics: list[Metric] = Field(default_factory=list)
    concepts: list[Concept] = Field(default_factory=list)
    paths: list[LearningPath] = Field(default_factory=list)


# --- an entry -------------------------------------------------------------------------------------


class Kind(str, Enum):
    """What sort of work an entry is; it decides which fields make sense, not which are required."""

    architecture = "architecture"  # a network design (LeNet, ResNet, DCGAN, U-Net)
    framework = "framework"  # a training set-up or model family (GAN, VAE, R-CNN pipeline)
    loss = "loss"  # a training objective (triplet loss, perceptual loss)
    metric = "metric"  # an evaluation measure (FID, Inception Score)
    optimizer = "optimizer"  # an update rule (momentum, Adam, Rprop)
    normalization = "normalization"  # batch, layer, group normalisation
    regularizer = "regularizer"  # dropout, Hessian penalty, gradient penalty
    analysis = "analysis"  # a study of other methods (A Metric Learning Reality Check)
    tutorial = "tutorial"  # a survey or tutorial (NIPS 2016 GAN tutorial)
    classical = "classical"  # pre-deep-learning methods (kNN, SVM, HOG)


class Relation(str, Enum):
    """Type of a lineage edge, read as "<child> <relation> <parent>"."""

    extends = "extends"  # keeps the parent and adds to it
    improves = "improves"  # same goal, a better way
    combines = "combines"  # merges ideas of several parents
    uses = "uses"  # takes a component of the parent as a building block
    replaces = "replaces"  # supersedes the parent's approach
    variant_of = "variant-of"  # a close variant
    inspired_by = "inspired-by"  # a looser influence
    evaluates = "evaluates"  # studies or benchmarks the parent
    generalizes = "generalizes"  # the parent is a special case


class LineageEdge(Strict):
    from_: Id = Field(alias="from", description="id of the earlier entry this one builds on")
    relation: Relation
    note: str = Field(min_length=3, description="one line: what changed from the parent")


class ConceptDefinition(ConceptDetail):
    """A concept the entry introduces (it becomes a node of its own in the graph)."""

    id: Id
    name: str
    summary: str = Field(default="", description="one or two sentences")
    aliases: list[str] = Field(default_factory=list)


class CodeLink(Strict):
    url: Annotated[str, Field(pattern=r"^https?://")]
    official: bool = False
    framework: str | None = Field(default=None, description="e.g. pytorch, caffe, lua-torch, tensorflow")
    note: str = ""


class Result(Strict):
    """A number the paper reports."""

    task: Id
    dataset: Id
    metric: Id
    value: float
    unit: str = Field(description="one of the metric's units, e.g. '%'")
    split: str = Field(description="e.g. val, test, test-dev, 10-fold")
    source: str = Field(min_length=3, description="where in the paper: 'Table 4', 'Figure 3', 'Section 4.2'")
    model: str = Field(default="", description="which configuration the number is for, e.g. 'ResNet-152, single model'")
    note: str = ""
    ensemble: bool = Field(default=False, description="true: the number combines the predictions of several models")
    extra_data: bool = Field(
        default=False,
        description="true: trained on data beyond the benchmark's own training set (pre-training, outside data)",
    )
    trained_with_labels: bool | None = Field(
        default=None,
        description=(
            "set only where the model used class labels unlike the task's usual setting: true for an image generator"
            " trained with labels, false for a classifier trained without them (leaderboards rank it apart)"
        ),
    )
    reference: bool = Field(
        default=False,
        description="true: a reference value, not a method's result (real data, human performance): never ranked",
    )


class ParameterOrigin(str, Enum):
    """Who counted a model's parameters. Every origin but ``ours`` is independent of this repository."""

    PAPER = "paper"
    AUTHORS_CODE = "authors-code"
    REFERENCE = "reference"
    DERIVED = "derived"
    OURS = "ours"

    @property
    def independent(self) -> bool:
        return self is not ParameterOrigin.OURS


class ModelVariant(Strict):
    """One configuration the paper describes; ``name`` is its registered implementation."""

    name: ModelName
    title: str = Field(default="", description="human name, e.g. 'ResNet-50'")
    implemented: bool = Field(default=True, description="false: no implementation yet (verify and the site say so)")
    check: bool = Field(
        default=False,
        description=(
            "true: a method with nothing to train (a metric, k-NN), registered with @register_check and verified"
            " against closed-form or hand-computed answers; it has no parameter count"
        ),
    )
    parameters: int | None = Field(default=None, ge=0, description="parameter count the paper reports")
    parameters_source: str = Field(
        default="", description="where the count comes from: 'Table 1', or how it was derived"
    )
    parameters_origin: ParameterOrigin = Field(
        default=ParameterOrigin.PAPER,
        description=(
            "who counted `parameters`: paper (reported in it), authors-code (the authors' released code or"
            " weights), reference (an independent implementation, e.g. torchvision), derived (arithmetic on the"
            " paper's layer table, written out in parameters_source), ours (this repository's implementation:"
            " recorded, never the check verify compares against)"
        ),
    )
    parameters_tolerance: float = Field(
        default=0.5, ge=0, le=100, description="allowed relative difference in percent between counted and reported"
    )
    flops: float | None = Field(default=None, ge=0, description="multiply-adds per example, as the paper reports")
    flops_source: str = ""
    flops_tolerance: float = Field(default=5.0, ge=0, le=100)
    reference: str | None = Field(
        default=None,
        pattern=r"^(torchvision|timm):[a-z][a-z0-9_.]*$",
        description=(
            "the torchvision or timm model implementing the paper's architecture, e.g. torchvision:resnet50 or"
            " timm:legacy_xception (alphatree compare maps its weights onto ours and compares outputs)"
        ),
    )
    deviations: list[str] = Field(
        default_factory=list, description="every way the implementation differs from the paper"
    )
    note: str = ""

    @model_validator(mode="after")
    def _sources(self) -> ModelVariant:
        if self.parameters is not None and not self.parameters_source:
            raise ValueError("parameters needs parameters_source (where the number comes from)")
        if self.flops is not None and not self.flops_source:
            raise ValueError("flops needs flops_source (where the number comes from)")
        if self.check and (self.parameters is not None or self.flops is not None):
            raise ValueError("a check (check: true) has nothing to train: remove parameters and flops")
        return self


class Learning(Strict):
    difficulty: int = Field(ge=1, le=5, description="1 (first week) to 5 (research level)")
    hours: float = Field(gt=0, le=200, description="estimated study hours: read the paper and the implementation")
    prerequisites: list[Id] = Field(default_factory=list, description="entries to know first (beyond lineage)")
    why: str = Field(default="", description="why a learner should study it")


class Publication(Strict):
    """How the work was published, for its BibTeX when the venue line alone does not say (a journal, a book, a
    lecture). ``year`` is the venue's year; the entry's own ``year`` stays the year of first appearance."""

    type: Literal["article", "inproceedings", "book", "misc"] = Field(description="the BibTeX entry type")
    authors: list[str] = Field(
        default_factory=list,
        description="this publication's authors where they are not the entry's (a conference version before an"
        " extended one); empty: the entry's",
    )
    year: int | None = Field(default=None, ge=1900, le=2100, description="year of the venue (the volume, the book)")
    journal: str = Field(default="", description="journal name (type article)")
    booktitle: str = Field(default="", description="proceedings name (type inproceedings)")
    volume: str = ""
    number: str = ""
    pages: str = Field(default="", description="e.g. '1735-1780'")
    publisher: str = Field(default="", description="publisher (type book)")
    howpublished: str = Field(default="", description="where a lecture or note appeared (type misc)")
    note: str = ""

    @model_validator(mode="after")
    def _complete(self) -> Publication:
        need = {"article": ("journal",), "inproceedings": ("booktitle",), "book": ("publisher",)}.get(self.type, ())
        missing = [f for f in need if not getattr(self, f)]
        if missing:
            raise ValueError(f"a publication of type {self.type} needs {', '.join(missing)}")
        return self


class Entry(Strict):
    """One paper (or other work) of the catalogue."""

    id: Id
    kind: Kind = Kind.architecture
    title: str = Field(min_length=3)
    short_name: str = Field(default="", description="common name, e.g. 'ResNet'")
    aliases: list[Id] = Field(
        default_factory=list, description="former ids of this entry (kept so plans survive renames)"
    )
    authors: list[str] = Field(min_length=1)
    year: int = Field(ge=1900, le=2100, description="year of first public appearance")
    venue: str = Field(default="", description="e.g. 'CVPR 2016', 'NeurIPS 2014', 'arXiv preprint'")
    publication: Publication | None = Field(
        default=None, description="BibTeX details where the venue line is not enough: journal, volume, pages, book"
    )
    arxiv: str | None = Field(
        default=None, pattern=ARXIV_PATTERN, description="arXiv id without version, e.g. '1512.03385'"
    )
    doi: str | None = Field(default=None, pattern=DOI_PATTERN)
    url: str | None = Field(default=None, pattern=r"^https?://")
    area: Id
    tags: list[Id] = Field(default_factory=list)
    summary: str = Field(min_length=20, description="what it changed, in this project's own words")
    code: list[CodeLink] = Field(default_factory=list)
    lineage: list[LineageEdge] = Field(default_factory=list)
    introduces: list[ConceptDefinition] = Field(default_factory=list)
    uses: list[Id] = Field(default_factory=list, description="concept ids the work relies on")
    datasets: list[Id] = Field(default_factory=list, description="data sets it trains or evaluates on")
    results: list[Result] = Field(default_factory=list)
    models: list[ModelVariant] = Field(default_factory=list)
    implementation_note: str = Field(default="", description="why there is no implementation yet, or what is missing")
    learning: Learning

    @model_validator(mode="after")
    def _identified(self) -> Entry:
        if not (self.arxiv or self.doi or self.url):
            raise ValueError("give at least one of arxiv, doi or url")
        return self

    @field_validator("authors")
    @classmethod
    def _authors(cls, value: list[str]) -> list[str]:
        for name in value:
            if not name.strip():
                raise ValueError("author names must not be empty")
        return value

    @property
    def name(self) -> str:
        return self.short_name or self.title

    @property
    def implementation_status(self) -> Literal["implemented", "partial", "not-implemented", "none"]:
        """implemented: every variant runs; partial: some do; not-implemented: none yet; none: no models listed."""
        if not self.models:
            return "not-implemented" if self.implementation_note else "none"
        done = sum(m.implemented for m in self.models)
        if done == len(self.models):
            return "implemented"
        return "partial" if done else "not-implemented"

    @property
    def parent_ids(self) -> list[str]:
        return [edge.from_ for edge in self.lineage]


def entry_json_schema() -> dict:
    """JSON Schema of an entry file, for editors (yaml-language-server) and for docs."""
    schema = Entry.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://alphatree.dev/schema/entry.schema.json"
    schema["title"] = "AlphaTree catalogue entry"
    return schema


def vocabulary_json_schema() -> dict:
    schema = Vocabulary.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "AlphaTree catalogue vocabulary"
    return schema


_ARXIV_RE = re.compile(ARXIV_PATTERN)
