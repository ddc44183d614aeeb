"""The corpus as ingest, clean and dedup hand it on: one typed value, not five loose frames.

Each of those stages returns a new ``Corpus``; the flow binds one name to it,
so the previous stage's copy of the paragraphs is freed as soon as the next
stage has returned (the text is the run's largest object, and extraction and
segmentation fork worker processes that would inherit any copy left behind).
The write stage releases the frames once they are on disk, before the
warehouse stage gives DuckDB its share of memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from tasks.extract import split_batches


@dataclass
class Corpus:
    """Documents and paragraphs of a run, with the side tables of the stages that made them.

    Attributes:
        documents: Document rows (dedup's columns set once dedup ran).
        paragraphs: Paragraph rows: raw after ingest, cleaned after clean,
            with is_duplicate after dedup.
        quarantine: Input files that could not become documents.
        repairs: ``paragraph_repairs`` rows; set by clean.
        duplicates: ``paragraph_duplicates`` rows; set by dedup.
    """

    documents: pd.DataFrame
    paragraphs: pd.DataFrame
    quarantine: pd.DataFrame
    repairs: pd.DataFrame | None = None
    duplicates: pd.DataFrame | None = None

    @cached_property
    def doc_order(self) -> list[str]:
        """Every doc_id in corpus order (source_file, then position in the file)."""
        return self.documents["doc_id"].tolist()

    def batches(self, doc_ids: list[str], n: int) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
        """The given documents and their paragraphs, cut into up to n batches of similar size."""
        wanted = set(doc_ids)
        return split_batches(self.documents[self.documents["doc_id"].isin(wanted)],
                             self.paragraphs[self.paragraphs["doc_id"].isin(wanted)], n)

    def tally(self) -> dict[str, int]:
        """Documents, paragraphs (each with its duplicates) and quarantined files, for the run summary."""
        return dict(
            documents=len(self.documents), duplicate_documents=int(self.documents["is_duplicate"].sum()),
            paragraphs=len(self.paragraphs), duplicate_paragraphs=int(self.paragraphs["is_duplicate"].sum()),
            quarantined=len(self.quarantine),
        )

    def datasets(self) -> dict[str, pd.DataFrame]:
        """The published datasets this corpus holds, by name."""
        return {"documents": self.documents, "paragraphs": self.paragraphs, "quarantine": self.quarantine,
                "paragraph_repairs": self.repairs, "paragraph_duplicates": self.duplicates}

    def release(self) -> None:
        """Lets go of every frame (they are on disk); the tally and datasets are gone with them."""
        for name in ("documents", "paragraphs", "quarantine", "repairs", "duplicates"):
            setattr(self, name, None)
        self.__dict__.pop("doc_order", None)
