"""Build a second set of real evaluation documents ("valset") beside ``../shared/eval-dev``.

    .venv/bin/python benchmarks/valset_build.py MIRRORS OUT [EVAL_DEV]
    .venv/bin/python benchmarks/eval_dev.py --eval-dir OUT --no-record --out /tmp/valset-run

MIRRORS holds clones (bare or not) of the four public repositories the development documents
come from, as ``<owner>+<name>/repo`` (docling-project/docling, allenai/olmocr,
invoice-x/invoice2data, pichiu/OmniDocBench); the documents and their ground truth are read
from their HEAD (the commits are written to OUT/README.md). OUT gets the layout of eval-dev
(one folder per document, ``gt/`` named as its ``score.py`` expects) and a copy of that
scorer. Every source file of eval-dev is left out. The documents are test material only:
never packaged, never committed here.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pymupdf

M = sys.argv[1] if len(sys.argv) > 1 else '/work/.mirror'
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else '/work/valset')
EVAL_DEV = Path(sys.argv[3] if len(sys.argv) > 3 else Path(__file__).resolve().parents[2] / 'shared' / 'eval-dev')
REPOS = {
    'docling': ('docling-project/docling', f'{M}/docling-project+docling/repo', 'MIT'),
    'olmocr': ('allenai/olmocr', f'{M}/allenai+olmocr/repo', 'Apache-2.0'),
    'inv': ('invoice-x/invoice2data', f'{M}/invoice-x+invoice2data/repo', 'MIT'),
    'omni': ('pichiu/OmniDocBench', f'{M}/pichiu+OmniDocBench/repo', 'Apache-2.0 (repo); data research use only'),
}


def git(repo, *a):
    return subprocess.run(['git', '-C', REPOS[repo][1], *a], check=True, capture_output=True).stdout


def show(repo, path):
    return git(repo, 'show', f'HEAD:{path}')


HEAD = {k: git(k, 'rev-parse', 'HEAD').decode().strip() for k in REPOS}
DATE = {k: git(k, 'log', '-1', '--format=%cs', 'HEAD').decode().strip() for k in REPOS}

docs = []  # (folder, repo key, source path, gt kind, pages note, description)

# ---------------------------------------------------------------- docling (silver)
DOCLING_PDF = [
    ('docling_code_listing_lorem', 'code_and_formula', 'Lorem-ipsum article with a JavaScript code listing and a display formula (GT: formula-not-decoded placeholder), 2 pages'),
    ('docling_korean_policy_brief_4p', 'normal_4pages', 'KOREAN policy brief (NARS Issue & Point no.1695, COVID-19 insurance), 4 pages, 2-column body, footnotes'),
    ('docling_bar_chart_figure_lorem', 'picture_classification', 'Lorem-ipsum article with a bar-chart figure + caption (2 pages)'),
    ('docling_arabic_rtl_article', 'right_to_left_01', 'ARABIC right-to-left article (R and Python productivity), headings + paragraphs'),
    ('docling_persian_rtl_form_tables', 'right_to_left_03', 'PERSIAN right-to-left exchange listing form: key/value tables, checkboxes, logo'),
    ('docling_wide_survey_checkboxes', 'table_mislabeled_as_picture', 'WIDE SPREAD (1224x792): legal-aid survey, two facing pages of questions with checkbox lists'),
]
for name, stem, desc in DOCLING_PDF:
    docs.append(dict(name=name, repo='docling', src=f'tests/data/pdf/sources/{stem}.pdf',
                     gt=[(f'tests/data/pdf/groundtruth/{stem}.{e}', f'{stem}.docling_ref.{e}') for e in ('md', 'json', 'doctags.txt')],
                     kind='docling_ref (SILVER: docling regression reference .md/.json/.doctags.txt)', desc=desc))
DOCLING_ODF = [
    ('odf_spreadsheet_table_ods', 'odf_table_with_title_01.ods', 'SPREADSHEET export (LibreOffice Calc .ods -> PDF): titled 2-column table "Number of freshwater ducks per year", sheet header/footer'),
    ('odf_text_headings_lists_odt', 'text_document_01.odt', 'TEXT DOCUMENT export (.odt -> PDF): title/subtitle, heading levels 1-3, nested numbered/bulleted lists, bold runs'),
    ('odf_text_merged_table_chart_odt', 'text_document_02.odt', 'TEXT DOCUMENT export (.odt -> PDF): headings, table with merged rows/cells/columns, embedded bar chart + image, formula line; GT .md only'),
    ('odf_text_rich_nested_tables_odt', 'text_document_03.odt', 'TEXT DOCUMENT export (.odt -> PDF, 2 pages): tables with lists/paragraphs in cells, nested table, pictures in cells, formatting'),
]
for name, stem, desc in DOCLING_ODF:
    docs.append(dict(name=name, repo='docling', src=f'tests/data/odf/sources/{stem}.pdf',
                     gt=[(f'tests/data/odf/groundtruth/{stem}.{e}', f'{stem}.docling_ref.{e}') for e in ('md', 'json', 'html')],
                     kind='docling_ref (GOLD-ish: docling output from the NATIVE ODF source, .md/.json/.html)', desc=desc))

# ---------------------------------------------------------------- olmOCR-bench (gold unit tests)
OLM = [
    ('olmocr_handwritten_room_sizes', 'buildingnotes', 'HANDWRITTEN note (photo/scan, no text layer): list of rooms with dimensions'),
    ('olmocr_handwritten_lincoln_letter', 'lincoln_letter', 'HANDWRITTEN 1864 letter by A. Lincoln, archival scan, no text layer'),
    ('olmocr_handwritten_notes_3p', 'mattsnotes', 'HANDWRITTEN notes on yellow legal pad, 3 pages, no text layer (tests on pages 1-3)'),
    ('olmocr_math_paper_proof_refs', 'math_2503_04086', 'MATH paper page (arXiv 2503.04086): proofs with display equations, acknowledgements, references'),
    ('olmocr_math_equations_cards', 'mathfuncs', 'MATH: landscape "20 Most Important Mathematical Equations" boxed cards (NOTE: same page design as eval-dev mathfuncs_colswitch.pdf, other column order)'),
    ('olmocr_multi_column_journal', 'multi_column_miss', 'MULTI-COLUMN journal page (Tobacco Control, "Corporate social responsibility..."): 3 columns, sidebar, references'),
    ('olmocr_graphical_text_cover', 'test-graphical-text', 'GRAPHICAL TEXT: book/event cover with stylised text over a photo ("The Power of Storytelling for Leaders", Thai name)'),
    ('olmocr_hf_plos_paper_first_page', 'headers_footers/ff0f0b22c55d8b90dd77d153f48e144fc9db_pg2', 'HEADERS/FOOTERS: PLOS NTD article first page (Lassa fever), dense author list, abstract box; tests that running header/footer/page number are ABSENT'),
    ('olmocr_hf_slide_title', 'headers_footers/ff1fc6a205ad039139ce566851b6b260c929_pg1', 'HEADERS/FOOTERS: conference slide title page (RTG Degradation Primer, NETS 2015) with logos; absent tests'),
    ('olmocr_hf_persian_article', 'headers_footers/ff3d6e051903fe5ca9bc172ece14964c5632_pg1', 'HEADERS/FOOTERS: PERSIAN journal article first page, rotated margin download stamp; absent tests'),
    ('olmocr_hf_uva_repository_cover', 'headers_footers/ff4f7dad78081cff727d19ab51c181d4a661_pg1', 'HEADERS/FOOTERS: University of Amsterdam UvA-DARE repository cover sheet; absent tests'),
    ('olmocr_hf_brief_notices_two_column', 'headers_footers/ff518b1240a66978f22035528ccb029450b5_pg2', 'HEADERS/FOOTERS: scanned journal page "Brief Notices", two columns, tall page; absent tests'),
    ('olmocr_hf_tilburg_repository_cover', 'headers_footers/ffaac214730d2b8c2ec842e3618ccb9c4259_pg1', 'HEADERS/FOOTERS: Tilburg University repository cover sheet; absent tests'),
    ('olmocr_hf_manual_cover', 'headers_footers/fff590bed29a2854ac1f874dad5752ede1aa_pg1', 'HEADERS/FOOTERS: Lake Shore Model 475 DSP Gaussmeter user manual cover; absent tests'),
]
dataset = show('olmocr', 'olmocr/bench/sample_data/dataset.jsonl').decode('utf-8').splitlines()
for name, rel, desc in OLM:
    lines = [row for row in dataset if row.strip() and json.loads(row)['pdf'] == rel + '.pdf']
    assert lines, rel
    stem = Path(rel).name
    types = {}
    for line in lines:
        t = json.loads(line)['type']
        types[t] = types.get(t, 0) + 1
    docs.append(dict(name=name, repo='olmocr', src=f'olmocr/bench/sample_data/pdfs/{rel}.pdf',
                     gt_text=[(f'{stem}.olmocr_bench_tests.jsonl', ''.join(line + '\n' for line in lines))],
                     kind='olmocr_bench_tests (GOLD unit tests from olmocr/bench/sample_data/dataset.jsonl: '
                          + ', '.join(f'{v} {k}' for k, v in types.items()) + ')', desc=desc))

# ---------------------------------------------------------------- invoice2data (gold key fields)
INV = [
    ('invoice_odoo_azure_interior', 'AzureInterior', 'INVOICE (Odoo, USD): Azure Interior, section headers, 4 product lines with discounts/taxes, bank details'),
    ('invoice_in_flipkart', 'FlipkartInvoice', 'INVOICE, INDIA (INR): Flipkart retail invoice with order id, logo, barcodes'),
    ('invoice_fr_netpresse', 'NetpresseInvoice', 'INVOICE, FRENCH (EUR): Netpresse press subscription invoice'),
    ('invoice_lines_sammy_maystone', 'SammyMaystoneLinesTest', 'INVOICE (USD): simple workshop invoice with multi-line item table (invoice2data lines test)'),
    ('invoice_nl_coolblue_1', 'coolblue1', 'INVOICE, DUTCH (EUR): Coolblue webshop invoice, 6 product lines + serial number note'),
    ('invoice_nl_coolblue_2', 'coolblue2', 'INVOICE, DUTCH (EUR): Coolblue webshop invoice, 8 product lines, larger amounts'),
    ('invoice_fr_free_fiber_2p', 'free_fiber', 'INVOICE, FRENCH, 2 PAGES (EUR): Free fibre internet subscription bill'),
    ('invoice_in_oyo_hotel', 'oyo', 'INVOICE, INDIA (INR): OYO hotel booking invoice, GSTIN/CIN, check-in/out dates'),
    ('invoice_nl_saeco', 'saeco', 'INVOICE, DUTCH (EUR): Saeco/e-Luscious parts invoice, 2 lines, VAT and bank details'),
]
for name, stem, desc in INV:
    docs.append(dict(name=name, repo='inv', src=f'tests/compare/{stem}.pdf',
                     gt=[(f'tests/compare/{stem}.json', f'{stem}.invoice2data_expected.json')],
                     kind=f'invoice2data_expected (GOLD key fields: tests/compare/{stem}.json unchanged)', desc=desc))

# ---------------------------------------------------------------- OmniDocBench demo (gold human)
OMNI = [
    ('omni_magazine_table_piechart_zh', 'docstructbench_dianzishu_zhongwenzaixian-o.O-61520814.pdf_185'),
    ('omni_book_photos_table_zh', 'docstructbench_dianzishu_zhongwenzaixian-o.O-61522235.pdf_170'),
    ('omni_magazine_dark_photo_zh', 'docstructbench_dianzishu_zhongwenzaixian-o.O-61569294.pdf_128'),
    ('omni_paper_table_two_column_en', 'docstructbench_llm-raw-scihub-o.O-j.chroma.2005.05.085.pdf_4'),
    ('omni_paper_numbered_equations_en', 'docstructbench_llm-raw-scihub-o.O-j.physletb.2004.06.101.pdf_3'),
    ('omni_research_report_bank_zh', 'eastmoney_62b4149b1612ce28d20f26cd5c5b2e18f80b26fca6e4452e090376a2fe72eae3.pdf_0'),
    ('omni_exam_multiple_choice_en', 'jiaocaineedrop_Chapter9.pdf_46'),
    ('omni_pde_solution_equations_en', 'jiaocaineedrop_Evans_PDE_Solution_Chapter_6_Second-Order_Elliptic_Equations.pdf_5'),
    ('omni_textbook_poems_table_en', 'jiaocaineedrop_jiaocai_needrop_en_1898'),
    ('omni_newspaper_zh', 'newspaper_1cddf9d22ca549f3a86cf1512a3110cc_1'),
    ('omni_federal_register_three_column_en', 'newspaper_5e266dfd9c498cab274e12a7b4a75755_4'),
    ('omni_handwritten_notes_table_zh', 'notes_1ba14cb325bc448f7201b20502ecf2b5_15'),
    ('omni_handwritten_notes_en_zh', 'notes_f7f010b78016aeebd76e56d9283eb67f_49'),
    ('omni_slide_bullets_en', 'yanbaopptmerge_SE05.pdf_7'),
    ('omni_slide_poem_zh', 'yanbaopptmerge_yanbaoPPT_145'),
]
demo = json.loads(show('omni', 'demo_data/omnidocbench_demo/OmniDocBench_demo.json'))
by_img = {e['page_info']['image_path']: e for e in demo}
omni_imgs = git('omni', 'ls-tree', '-r', '--name-only', 'HEAD', 'demo_data/omnidocbench_demo/mds/imgs/').decode().split()
for name, stem in OMNI:
    e = by_img[stem + '.jpg']
    pa = e['page_info']['page_attribute']
    cats = {}
    for d in e['layout_dets']:
        cats[d['category_type']] = cats.get(d['category_type'], 0) + 1
    imgs = [p for p in omni_imgs if re.fullmatch(re.escape(stem) + r'_\d+\.jpg', Path(p).name)]
    desc = (f"{pa.get('data_source')}, {pa.get('language')}, {pa.get('layout')}, special: {','.join(pa.get('special_issue') or []) or '-'}; "
            f"{e['page_info']['width']}x{e['page_info']['height']} JPEG; elements: " + ', '.join(f'{v} {k}' for k, v in cats.items()))
    docs.append(dict(name=name, repo='omni', src=f'demo_data/omnidocbench_demo/images/{stem}.jpg',
                     gt=[(f'demo_data/omnidocbench_demo/mds/{stem}.md', f'{stem}.md')] + [(p, 'imgs/' + Path(p).name) for p in imgs],
                     gt_text=[(f'{stem}.omnidocbench_annotation.json', json.dumps(e, indent=1, ensure_ascii=False))],
                     kind='omnidocbench_annotation + GT .md (GOLD human: entry of OmniDocBench_demo.json + mds/' + stem + '.md'
                          + (f', {len(imgs)} crops in gt/imgs' if imgs else '') + ')', desc=desc))

# ---------------------------------------------------------------- write
if OUT.exists():
    shutil.rmtree(OUT)
OUT.mkdir(parents=True)
rows = []
stems = set()
for i, d in enumerate(docs, 1):
    folder = OUT / f'{i:02d}_{d["name"]}'
    (folder / 'gt').mkdir(parents=True)
    src_name = Path(d['src']).name
    stem = Path(src_name).stem
    assert stem not in stems, stem
    stems.add(stem)
    (folder / src_name).write_bytes(show(d['repo'], d['src']))
    for repo_path, rel in d.get('gt', []):
        p = folder / 'gt' / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        try:
            p.write_bytes(show(d['repo'], repo_path))
        except subprocess.CalledProcessError:
            if rel.endswith('.md'):
                raise
            print('  ABSENT in snapshot, skipped:', repo_path)
            d['kind'] += f' [{Path(repo_path).name} absent from the snapshot: not included]'
    for rel, text in d.get('gt_text', []):
        (folder / 'gt' / rel).write_text(text, encoding='utf-8')
    if src_name.lower().endswith('.pdf'):
        pages = pymupdf.open(folder / src_name).page_count
    else:
        pages = 1
    repo, _, lic = REPOS[d['repo']]
    rows.append(f"| {folder.name} | {pages} | {repo}@{HEAD[d['repo']]} ({DATE[d['repo']]}) : {d['src']} | {lic} | {d['kind']} | {d['desc']} |")
    print(folder.name, pages)

NOTES = """
Left out: docling right_to_left_02.pdf (its PDF text layer has a broken Arabic glyph-to-Unicode mapping, so the docling
reference text is garbled and would reward wrong text); docling 2203.01017v2.pdf, 2206.01062.pdf, 2305.03393v1.pdf and
odf_presentation_02.odp.pdf (blobs absent from the fetched snapshot); docling skipped_1page/skipped_2pages (by rule);
olmOCR blank_book_pg1.pdf (its only test is a "baseline" test in blanks.jsonl, a type score.py does not support);
invoice2data Orlen (no PDF, text only) and the PNG renderings of invoices (same stem as the PDF: predictions would collide).
"""
shutil.copy2(EVAL_DEV / 'score.py', OUT / 'score.py')
readme = """# Validation documents (second set)

Real documents written by none of this project, each with the ground truth that exists for it (in `gt/`), in the same
layout as `/work/shared/eval-dev/` (one folder per document: the source file, and `gt/` with files named as `score.py`
expects). None of the source files of eval-dev is repeated here (exclusion by source file name). Ground truth files are
byte-for-byte copies of the upstream files, except: olmOCR-bench tests are the upstream `dataset.jsonl` lines of that
PDF (unchanged, in order); OmniDocBench annotations are that image's entry of `OmniDocBench_demo.json`
(`json.dumps(entry, indent=1, ensure_ascii=False)`, as in eval-dev). Docling and ODF references are named
`<source stem>.docling_ref.{md,json,doctags.txt|html}` (the `.pages.meta.json` / `.itxt` files are not copied).

Page content belongs to its publishers; these files are test material only and are never packaged with the product.

Score: `python score.py --gt-root . --pred-root PRED` in this folder (PRED holds `<stem>.md` per document).

| folder | pages | source (repository @ commit (date) : path) | license | ground truth kind | what |
|---|---|---|---|---|---|
""" + '\n'.join(rows) + '\n' + NOTES
(OUT / 'README.md').write_text(readme, encoding='utf-8')
print(len(docs), 'docs')
