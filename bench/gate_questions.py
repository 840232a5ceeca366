"""The grounding gate on a library of look-alike filings: false refusals and false answers.

    python bench/answers.py --gate [--store DIR] [--kb qa]

False refusals: SEC 10-Q dev questions (../shared/data/sec10q/qna_dev.csv) the gate turns
away on the 20 filings.  False answers: questions the filings cannot answer that the gate
lets through -- other companies asked like the filings' own questions ("look-alikes"), and
off-topic questions, in English and Chinese (written for this benchmark, below).  Each is
measured with the names check on (the default) and off, in one run.  The library is the
one ``wenji eval --qa`` builds (its cached store can be passed with ``--store``), or is
built here with the default embedder.
"""

from __future__ import annotations

import time
from pathlib import Path

# Other companies, asked the way the filings' questions are (the library holds Apple,
# Amazon, Intel, Microsoft and NVIDIA 10-Qs of 2022-2023).
LOOK_ALIKE_EN = [
    "What was Tesla's revenue in the third quarter of 2023?",
    "What is Google's advertising revenue for 2022?",
    "How much did Meta spend on research and development in Q2 2023?",
    "What was AMD's data center segment revenue in the first quarter of 2023?",
    "What were Netflix's total streaming revenues in Q3 2022?",
    "What was Samsung's operating income in the second quarter of 2023?",
    "How many vehicles did Tesla deliver in Q2 2023?",
    "What was Alphabet's net income for the quarter ended June 30, 2023?",
    "What was Qualcomm's QCT revenue in fiscal Q3 2023?",
    "What was IBM's consulting revenue in Q1 2023?",
    "What were Oracle's cloud services and license support revenues last quarter?",
    "What was Salesforce's subscription and support revenue in Q2 2023?",
    "How much did Walmart's e-commerce sales grow in the third quarter of 2022?",
    "How much cash did Berkshire Hathaway hold at the end of Q2 2023?",
    "What was Broadcom's semiconductor solutions revenue in Q3 2023?",
]
OFF_TOPIC_EN = [
    "What is the recipe for a chocolate cake?", "Who won the 2018 World Cup?",
    "How tall is Mount Everest?", "What is the capital of Australia?",
    "How do I change a flat tyre on a bicycle?", "When did the Roman Empire fall?",
    "Who wrote Pride and Prejudice?", "How long should I boil an egg?",
]
LOOK_ALIKE_ZH = [
    "特斯拉2023年第三季度的营收是多少？", "谷歌2022年的广告收入是多少？",
    "阿里巴巴2023财年第二季度的净利润是多少？", "腾讯2023年第一季度的游戏收入是多少？",
    "比亚迪2023年上半年卖了多少辆车？", "华为2022年的研发投入是多少？",
    "小米2023年第二季度的智能手机出货量是多少？", "京东2022年第四季度的营业收入是多少？",
    "百度2023年第一季度的广告收入是多少？", "三星电子2023年第二季度的营业利润是多少？",
    "台积电2023年第三季度的毛利率是多少？", "美团2022年的外卖订单量是多少？",
]
OFF_TOPIC_ZH = [
    "如何制作巧克力蛋糕？", "珠穆朗玛峰有多高？", "2018年世界杯冠军是哪个国家？",
    "怎样养好一盆兰花？", "北京到上海的高铁要多久？", "感冒了应该吃什么药？",
    "《红楼梦》的作者是谁？", "长城有多长？",
]
UNANSWERABLE = {"look-alike, en": LOOK_ALIKE_EN, "off-topic, en": OFF_TOPIC_EN,
                "look-alike, zh": LOOK_ALIKE_ZH, "off-topic, zh": OFF_TOPIC_ZH}


def _grounded(engine, question: str, kb: str) -> bool:
    from answer.prompts import question_language

    return engine.find_sources(question, question_language(question), kb)[1]


def run_gate(engine, kb: str, dev_questions: list[str]) -> tuple[list[str], dict]:
    """The report's lines and its figures, names check on and off."""
    figures: dict = {}
    rows = []
    for names in (True, False):
        engine.check_names = names
        label = "names required" if names else "keywords and similarity only"
        t0 = time.perf_counter()
        refused = [q for q in dev_questions if not _grounded(engine, q, kb)]
        answered = {group: [q for q in qs if _grounded(engine, q, kb)]
                    for group, qs in UNANSWERABLE.items()}
        n_bad = sum(len(qs) for qs in UNANSWERABLE.values())
        n_false = sum(len(v) for v in answered.values())
        figures[label] = {"false_refusals": len(refused), "dev": len(dev_questions),
                          "false_answers": n_false, "unanswerable": n_bad,
                          "seconds": round(time.perf_counter() - t0, 1),
                          "refused": refused, "answered": answered}
        groups = ", ".join(f"{g} {len(v)}/{len(UNANSWERABLE[g])}" for g, v in answered.items())
        rows.append(f"| {label} | {len(refused)}/{len(dev_questions)} = "
                    f"{len(refused) / len(dev_questions):.1%} | {n_false}/{n_bad} = "
                    f"{n_false / n_bad:.1%} ({groups}) |")
    engine.check_names = True
    lines = ["| gate | false refusals (SEC dev questions) | false answers (unanswerable) |",
             "|---|---|---|", *rows, ""]
    on = figures["names required"]
    if on["refused"]:
        lines.append("- refused with names required: "
                     + "; ".join(f"\"{q}\"" for q in on["refused"][:10]))
    for group, qs in on["answered"].items():
        if qs:
            lines.append(f"- let through ({group}): " + "; ".join(f"\"{q}\"" for q in qs))
    return lines, figures


def build_library(home: Path, docs: Path, kb: str):
    """The SEC filings ingested with the default embedder into ``home`` (once)."""
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library
    from models.embedder_pair import open_embedder

    embedder = open_embedder(None)
    library = Library(home)
    if library.catalog.kb(kb) is None or not library.catalog.db.execute(
            "SELECT COUNT(*) FROM documents").fetchone()[0]:
        Ingestor(library, embedder).run(sorted(docs.glob("*.pdf")), kb_name=kb)
    return library, embedder
