"""What lies near a token: the k vocabulary entries of highest cosine similarity, found exactly (brute
force: bert-base's 30,522 × 768 table is one matrix product per query batch).

Two tables: the input (word) embeddings, to which a token's own row is compared (the token itself left
out), and the output embeddings (the head's vocabulary projection), to which a token's hidden state at a
chosen layer is compared after the head's transform (``Readout.transformed``): what the model would read
there as a word. Each table is normalised once, on first use, and kept while the model is loaded.
"""

from __future__ import annotations

import torch


class Nearest:
    def __init__(self, input_table: torch.Tensor, output_table: torch.Tensor) -> None:
        self._raw = {"input": input_table, "output": output_table}
        self._unit: dict[str, torch.Tensor] = {}

    def _table(self, name: str) -> torch.Tensor:
        if name not in self._unit:
            self._unit[name] = unit_rows(self._raw[name].detach().float())
        return self._unit[name]

    def of_tokens(self, ids: list[int], k: int) -> list[list[tuple[int, float]]]:
        """For each vocabulary id, the k other entries nearest to its input embedding."""
        table = self._table("input")
        cosines = table[ids] @ table.T
        cosines[torch.arange(len(ids)), ids] = float("-inf")  # not itself
        return top(cosines, min(k, table.shape[0] - 1))

    def of_vectors(self, vectors: torch.Tensor, k: int) -> list[list[tuple[int, float]]]:
        """For each row of ``vectors`` [n, E], the k output embeddings nearest to it."""
        table = self._table("output")
        return top(unit_rows(vectors.detach().float()) @ table.T, min(k, table.shape[0]))


def unit_rows(matrix: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.normalize(matrix, dim=-1)


def top(cosines: torch.Tensor, k: int) -> list[list[tuple[int, float]]]:
    values, ids = cosines.topk(k, dim=-1)
    return [list(zip(row_ids, row_values)) for row_ids, row_values in zip(ids.tolist(), values.tolist())]
