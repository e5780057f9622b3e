"""The print HTML: what each kind of manual contains, built from the engine's cached print HTML."""

from __future__ import annotations

import re
from datetime import date

import pytest
from babel.messages.pofile import read_po

from training.curriculum import name_in
from training.manuals import document, fragments
from training.manuals.document import build_html, css_content, css_string
from training.manuals.labels import counter_style, print_labels
from training.manuals.options import ManualOptions, OptionsError, resolve

from .conftest import ROOT
from .manuals_support import add_gujarati, app, root, store  # noqa: F401 - shared fixtures

TODAY = date(2026, 3, 14)


def html_for(store, **choices) -> str:
    options = resolve(store, **choices)
    labels = print_labels(options.lang, (store.meta().source_language,))
    return build_html(store, options, labels, today=TODAY).html


def test_trainer_manual_has_trainer_notes_and_the_workbook_does_not(store):
    manual = html_for(store, kind="manual", lang="en", site="testsite")
    workbook = html_for(store, kind="workbook", lang="en", site="testsite")
    assert "block-trainer" in manual and "Keep time." in manual and "Offer an opt-out." in manual
    assert "block-trainer" not in workbook
    assert "Keep time." not in workbook and "Offer an opt-out." not in workbook and "Room safety" not in workbook


def test_workbook_rules_lines_inside_every_reflection(store):
    workbook = html_for(store, kind="workbook", lang="en", site="testsite")
    reflections = fragments.find_elements(workbook, "block-reflection")
    assert len(reflections) == 2
    for element in reflections:
        inner = element.inner(workbook)
        assert inner.count('class="write-line"') == document.WRITING_LINES
    manual = html_for(store, kind="manual", lang="en", site="testsite")
    assert "write-line" not in manual


def test_cover_names_curriculum_kind_site_language_and_date(store):
    html = html_for(store, kind="manual", lang="en", site="testsite")
    cover = fragments.find_elements(html, "cover")[0].outer(html)
    for text in ("Fixture Curriculum", "Trainer manual", "For trainers", "Test Site", "English", "March 14, 2026"):
        assert text in cover
    assert "<title>Fixture Curriculum — Trainer manual — Test Site</title>" in html
    assert '<html lang="en" dir="ltr"' in html


def test_contents_lists_every_module_and_section_and_every_link_has_a_target(store):
    html = html_for(store, kind="manual", lang="en", site="testsite")
    toc = fragments.find_elements(html, "toc")[0].outer(html)
    hrefs = re.findall(r'href="#([^"]+)"', toc)
    assert hrefs == [
        "m-basics",
        "m-basics--role",
        "m-basics--limits",
        "m-listening",
        "m-listening--why",
        "m-listening--extra",  # added by the site after "why"
        "m-listening--reflect",
        "m-listening--local",  # replaced by the site
        "kits",
    ]
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    assert set(re.findall(r'href="#([^"]+)"', html)) <= ids


def test_site_adaptations_are_printed_and_marked(store):
    html = html_for(store, kind="workbook", lang="en", site="testsite")
    assert "Call the fictional test team." in html
    assert "Ask your trainer for local contacts." not in html
    assert html.count('class="local-tag"') == 2
    generic = html_for(store, kind="workbook", lang="en")
    assert "Ask your trainer for local contacts." in generic and "local-tag" not in generic
    assert "All sites (no local adaptations)" in generic


def test_links_to_modules_left_out_become_plain_text(store):
    html = html_for(store, kind="workbook", lang="en", modules=["basics"])
    assert 'href="#m-listening--reflect"' not in html
    assert ">listening</a>" in html  # the words stay
    assert 'href="#m-basics--limits"' in html  # a link inside the manual stays


def test_session_plan_comes_from_activity_durations(store):
    html = html_for(store, kind="manual", lang="en", site="testsite")
    plan = fragments.find_elements(html, "session-plan")[0].outer(html)
    assert "Warm-up" in plan and ">15<" in plan and "0:15" in plan
    assert "15 minutes of the 1 hour 30 minutes workshop" in plan
    assert "1 hour 15 minutes are for input" in plan
    second = fragments.find_elements(html, "session-plan")[1].outer(html)
    assert "no timed activities" in second
    assert "session-plan" not in html_for(store, kind="workbook", lang="en")


def test_trainer_manual_appends_assessment_kits_of_its_competencies(store):
    html = html_for(store, kind="manual", lang="en", modules=["basics"])
    kits = fragments.find_elements(html, "kits")[0].outer(html)
    assert "A1 Hope" in kits and "First meeting" in kits and "Uses labels" in kits and "should not happen" in kits
    assert "A2" not in kits  # only listening develops A2
    assert "kits" not in html_for(store, kind="workbook", lang="en").split("<body>")[1][:200]


def test_handout_pack_has_only_handouts_each_on_its_page(store):
    html = html_for(store, kind="handouts", lang="en", modules=["basics"])
    assert html.count('class="handout-page"') == 1
    assert "Limits card" in html and "Keep this card." in html
    assert "Peers listen." not in html and 'class="toc"' not in html and 'class="cover"' not in html
    assert "<title>Basics — Handout pack</title>" in html
    empty = html_for(store, kind="handouts", lang="en", modules=["listening"])
    assert "These modules have no handouts." in empty


def test_hebrew_manual_is_right_to_left_and_a_fallback_module_keeps_its_direction(store):
    html = html_for(store, kind="workbook", lang="he", site="testsite")
    assert '<html lang="he" dir="rtl"' in html
    assert '<article class="module" lang="he" dir="rtl">' in html
    assert '<article class="module" lang="en" dir="ltr">' in html  # 'listening' has no Hebrew file
    with open(ROOT / "translations/he/LC_MESSAGES/messages.po", "rb") as fh:
        notice = {m.id: m.string for m in read_po(fh)}["Not yet translated — shown in %(language)s."]
    assert notice % {"language": name_in("en", "he")} in html  # in the reader's language
    assert "שמרו על הזמן" not in html  # Hebrew trainer note, not for trainees
    # In the right-to-left contents, the English title is isolated so it stays one left-to-right run.
    assert "\u2066Listening\u2069" in html


def test_manual_reuses_the_engines_cached_print_html(store, monkeypatch):
    calls = []
    original = store.render

    def spy(view, audience, style="web", labels=None):
        calls.append((view.slug, audience, style))
        return original(view, audience, style, labels)

    monkeypatch.setattr(store, "render", spy)
    html_for(store, kind="manual", lang="en", site="testsite")
    assert calls == [("basics", "trainer", "print"), ("listening", "trainer", "print")]


def test_site_name_and_titles_are_escaped(store, root):
    site = root / "sites" / "testsite" / "site.yaml"
    site.write_text(site.read_text().replace("name: Test Site", 'name: "Evil </style><script>x()</script>"'))
    html = html_for(store, kind="workbook", lang="en", site="testsite")
    assert "<script>" not in html
    style = html.split("<style>")[1].split("</style>")[0]
    assert "</" not in style and "\\3C /style\\3E " in style


def test_page_x_of_y_follows_the_translators_word_order():
    assert css_content("Page %(page)s of %(pages)s", {"page": "counter(page)", "pages": "counter(pages)"}) == (
        '"Page " counter(page) " of " counter(pages)'
    )
    assert css_content("%(pages)s / %(page)s", {"page": "P", "pages": "T"}) == 'T " / " P'
    assert css_string('a"b\\c\n<') == '"a\\"b\\\\c\\A \\3C "'


def test_digits_follow_the_languages_numbering_system():
    assert counter_style("en") == "decimal"
    assert counter_style("he") == "decimal"
    assert counter_style("fa") == "persian"
    assert counter_style("xx-unknown") == "decimal"


def test_gujarati_manual_uses_the_translation(store, root):
    add_gujarati(root)
    html = html_for(store, kind="manual", lang="gu", site="testsite")
    assert '<html lang="gu" dir="ltr"' in html
    assert "મૂળભૂત બાબતો" in html and "સમયનું ધ્યાન રાખો" in html


def test_options_are_checked_against_the_curriculum(store):
    with pytest.raises(OptionsError) as error:
        resolve(store, kind="manual", lang="de")
    assert error.value.option == "lang"
    with pytest.raises(OptionsError):
        resolve(store, kind="manual", lang="en", site="nowhere")
    with pytest.raises(OptionsError):
        resolve(store, kind="manual", lang="en", modules=["nope"])
    with pytest.raises(OptionsError):
        resolve(store, kind="poster", lang="en")
    with pytest.raises(OptionsError):
        resolve(store, kind="manual", lang="en", paper="a3")
    # Order and "all" are normalised, so equal manuals have equal options (and one cache entry).
    assert resolve(store, kind="manual", lang="en", modules=["listening", "basics"]).modules == ()
    assert resolve(store, kind="manual", lang="en", modules=["listening"]) == ManualOptions(
        "manual", "en", None, ("listening",)
    )


def test_a_site_section_in_another_language_keeps_its_own_language(store, root):
    overlay = root / "sites" / "testsite" / "modules" / "basics" / "he.md"
    overlay.parent.mkdir(parents=True)
    overlay.write_text("---\n---\n\n## עזרה מקומית {#local-help}\n\nהתקשרו לצוות הבדיוני.\n", encoding="utf-8")
    html = html_for(store, kind="workbook", lang="en", site="testsite")
    assert '<section class="section section-local" lang="he" dir="rtl">' in html
    toc = fragments.find_elements(html, "toc")[0].outer(html)
    assert '<span lang="he">\u2067עזרה מקומית\u2069</span>' in toc
