"""The learner's progress table, printed at the end of a pytest run over the lessons."""

from __future__ import annotations

from dataclasses import dataclass

from . import catalog

DONE, HERE = "done", "<- you are here"


@dataclass
class LessonProgress:
    """How one lesson's tests went in this run."""

    number: str
    title: str
    total: int = 0
    passed: int = 0
    skipped: int = 0
    first_failure: tuple[str, str] | None = None  # (test id, its message)

    @property
    def done(self) -> bool:
        """Every test ran and passed; a skipped test is not done."""
        return self.total > 0 and self.passed == self.total


def render(progress: list[LessonProgress], all_numbers: list[str]) -> list[str]:
    """The lines of the progress table, the lesson the learner is on, and what to do next."""
    lines = []
    current = next((lesson for lesson in progress if not lesson.done), None)
    width = max((len(lesson.title) for lesson in progress), default=10)
    for lesson in progress:
        mark = DONE if lesson.done else HERE if lesson is current else ""
        note = f"  ({lesson.skipped} skipped)" if lesson.skipped else ""
        score = f"{lesson.passed}/{lesson.total}"
        lines.append(
            f"  {lesson.number}  {lesson.title:<{width}}  {score:>5}  {mark}{note}".rstrip()
        )
    lines.append("")
    if current is None:
        lines.extend(_next_steps(progress, all_numbers))
        return lines
    lines.append(f"You are on lesson {current.number}: {current.title}.")
    if current.first_failure:
        test, message = current.first_failure
        lines.append(f"First failing test: {test}")
        lines.extend(f"    {line}" for line in message.strip("\n").splitlines()[:12])
    elif current.skipped:
        lines.append(
            "Some tests were skipped, so the lesson is not done yet; the skip reason says why."
        )
    lines.append(
        f"Read lessons/{current.number}/README.md, then run: pytest lessons/{current.number}"
    )
    return lines


def _next_steps(progress: list[LessonProgress], all_numbers: list[str]) -> list[str]:
    last = progress[-1].number
    later = [number for number in all_numbers if number > last]
    if not later:
        if len(progress) == len(all_numbers):
            return ["Every lesson passes. The kata is complete: well done!"]
        return ["Every lesson in this run passes. Run pytest to check them all."]
    upcoming = catalog.Lesson(catalog.ROOT / "lessons" / later[0])
    passing = (
        f"Lesson {last} passes"
        if len(progress) == 1
        else f"Lessons {progress[0].number}-{last} pass"
    )
    return [
        f"{passing}. Next: lesson {upcoming.number}, {upcoming.title}.",
        f"Read lessons/{upcoming.number}/README.md, then run: pytest lessons/{upcoming.number}",
    ]
