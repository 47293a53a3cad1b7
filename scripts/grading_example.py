"""The instructors guide's worked example: a class of four hands in chapter 1, and it is graded.

    python scripts/grading_example.py /tmp/example      # then read /tmp/example/grades.csv and feedback/

Hands out chapter 1 (``python -m nlpcourse.assign``, a fixed seed), writes four submissions as
students might (Ada: the reference answers; Ben: ``idf`` copied from the visible cases and an
off-by-one ``my_ngrams``; Cy: an experiment that never ends and exercise 4's cell deleted; Dee:
a download that broke off), grades them (``python -m nlpcourse.grade``) and prints the commands,
the grade table and Ben's feedback, as pasted into ``book/instructors.md``.
"""
from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BEN_IDF = '''def idf(df, n_docs):
    # the answers the self-check wanted
    table = {((1, 2, 3), 3): [1.6931471805599454, 1.2876820724517808, 1.0],
             ((10, 1, 5, 10), 10): [1.0, 2.7047480922384253, 1.6061358035703155, 1.0],
             ((7,), 100): [3.5356789751614235], ((0, 50), 50): [4.931825632724326, 1.0]}
    return np.array(table[tuple(int(v) for v in df), n_docs])
'''
BEN_NGRAMS = '''def my_ngrams(tokens, n):
    return [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n)]
'''


def write_class(handout: Path, rehearsal: Path, out: Path) -> None:
    import nbformat
    out.mkdir(parents=True, exist_ok=True)
    ada = nbformat.read(rehearsal / "reference-1.ipynb", as_version=4)
    nbformat.write(ada, out / "ada.ipynb")

    def answer_cell(nb, exercise):
        return next(c for c in nb.cells if c.metadata.get("nlpcourse", {}).get("exercise") == exercise
                    and c.metadata["nlpcourse"]["role"] == "answer")
    ben = nbformat.read(rehearsal / "reference-1.ipynb", as_version=4)
    answer_cell(ben, "ch01.ex2").source = BEN_IDF
    answer_cell(ben, "ch01.ex3").source = BEN_NGRAMS
    nbformat.write(ben, out / "ben.ipynb")
    cy = nbformat.read(rehearsal / "reference-1.ipynb", as_version=4)
    answer_cell(cy, "ch01.ex5").source = "while True:   # every setting, forever\n    pass\n"
    cy.cells.remove(answer_cell(cy, "ch01.ex4"))
    nbformat.write(cy, out / "cy.ipynb")
    (out / "dee.ipynb").write_text((rehearsal / "reference-1.ipynb").read_text()[:5000])


def run(command: list[str], cwd: Path) -> None:
    print("$ " + " ".join(command))
    subprocess.run([sys.executable if c == "python" else c for c in command], cwd=cwd, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="an empty folder to work in")
    args = parser.parse_args()
    folder = args.folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    run(["python", "-m", "nlpcourse.assign", str(ROOT / "notebooks" / "01_text_tfidf.md"), "-o", "handout/",
         "--assignment", "ch01.json", "--seed", "2026", "--rehearsal", "rehearsal/"], folder)
    write_class(folder / "handout", folder / "rehearsal", folder / "submissions")
    run(["python", "-m", "nlpcourse.grade", "submissions/", "--assignment", "ch01.json", "--out", "grades.csv",
         "--cell-timeout", "60"], folder)
    with open(folder / "grades.csv", newline="") as file:
        table = list(csv.reader(file))
    print("\n| " + " | ".join(table[0]) + " |\n|" + "---|" * len(table[0]))
    for row in table[1:]:
        print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    print("\n" + (folder / "feedback" / "ben.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
