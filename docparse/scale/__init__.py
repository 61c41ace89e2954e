"""Scale-out: ``docparse batch`` over a Ray cluster, inputs and outputs through fsspec.

Needs the ``ray`` extra (``pip install 'docparse[ray]'``); nothing here imports Ray until a
run starts.
"""

from docparse.scale.ray_engine import BatchReport, RayBatch, RayOptions, start_local_ray

__all__ = ["BatchReport", "RayBatch", "RayOptions", "start_local_ray"]
