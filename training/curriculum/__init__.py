"""The curriculum engine: Markdown and YAML files in, immutable objects and safe HTML out.

Imports no Flask, so the web app, the PDF builder and the CLI share it.
"""

from .check import check_curriculum
from .competencies import Competency, Domain, Framework
from .document import Block, ModuleDoc, Section, parse_module, revision_of
from .languages import direction, is_known, name_in, native_name
from .problems import ContentError, Problem
from .render import AUDIENCES, DEFAULT_LABELS, Audience, RenderedSection, anchor
from .store import CurriculumMeta, CurriculumStore, ModuleView, PlacedSection, RenderedModule, Site
from .translation import COMPETENCIES, mark_current, status

__all__ = [
    "AUDIENCES",
    "COMPETENCIES",
    "DEFAULT_LABELS",
    "Audience",
    "Block",
    "Competency",
    "ContentError",
    "CurriculumMeta",
    "CurriculumStore",
    "Domain",
    "Framework",
    "ModuleDoc",
    "ModuleView",
    "PlacedSection",
    "Problem",
    "RenderedModule",
    "RenderedSection",
    "Section",
    "Site",
    "anchor",
    "check_curriculum",
    "direction",
    "is_known",
    "mark_current",
    "name_in",
    "native_name",
    "parse_module",
    "revision_of",
    "status",
]
