"""The what-if service: ``portfolio-sim serve FILE`` (docs/service.md).

A local web service on FastAPI + uvicorn around one scenario file: a JSON API (the
editable knobs, forecast with deltas against the file as loaded, validate, save as
variant) and one offline page that calls it. It uses the public API only
(:func:`portfolio_sim.forecasting.forecast`, the scenario loader and variants, the
results' JSON document); it never imports an engine or a kernel.

Modules: :mod:`.limits` (service limits), :mod:`.edits` (a request's edits -> variant
steps), :mod:`.knobs` (what the page may change), :mod:`.answers` (headline numbers and
deltas), :mod:`.pool` (bounded forecasting, newer requests supersede older ones),
:mod:`.save` (write a variant into the YAML file), :mod:`.app` (the FastAPI app).
FastAPI is an optional dependency (``pip install 'portfolio-sim[serve]'``): importing
this package does not import it; :mod:`.app` does.
"""
