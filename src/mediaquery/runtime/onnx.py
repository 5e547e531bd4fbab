"""The one place that imports onnxruntime: a small typed wrapper around an InferenceSession."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

__all__ = ["OnnxModel"]


class OnnxModel:
    """A CPU inference session with explicit thread counts."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        # Workers are scaled by processes, not by inter-op parallelism inside one session.
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # No arena: it keeps each session's largest activations for good. Without it the
        # pipeline's peak (server + 2 workers, every default analyzer, 147 camera photos)
        # was 1,536 / 1,531 / 1,502 MiB against 1,647 / 1,617 / 1,669 with it, at 4.4-4.7
        # against 4.7-5.0 images/s (noise of the same size; the labels and NudeNet models
        # alone ran as fast either way).
        options.enable_cpu_mem_arena = False
        self.path = Path(path)
        self._session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.input_names: list[str] = [i.name for i in self._session.get_inputs()]
        # e.g. "tensor(float)", "tensor(int64)": what each input must be fed
        self.input_types: list[str] = [i.type for i in self._session.get_inputs()]
        self.output_names: list[str] = [o.name for o in self._session.get_outputs()]
        # How many axes each output has, where the export says (None where it does not).
        self.output_ranks: list[int | None] = [
            len(o.shape) if isinstance(o.shape, list) else None for o in self._session.get_outputs()
        ]

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run the model; returns every output by name."""
        outputs = self._session.run(self.output_names, inputs)
        return {
            name: np.asarray(value) for name, value in zip(self.output_names, outputs, strict=True)
        }
