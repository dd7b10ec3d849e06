"""Excel workbooks for finance: one sheet per table, plus a provenance sheet.

Headings are the human labels of :mod:`portfolio_sim.formatting` (the CSV keeps the
snake_case keys; docs/outputs.md lists both). Dates are real Excel dates (``yyyy-mm-dd``), money columns are numbers shown in the
scenario's currency (``#,##0 "EUR"``), probabilities and shares are numbers shown as
percentages. The stored values are the numbers of the CSV export: formats change how a
cell looks, never what it holds (openpyxl stores 16 significant digits, one more than
Excel shows, so a value agrees with the CSV to a relative 1e-15). Written atomically like
every other output.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from portfolio_sim.formatting import label
from portfolio_sim.results.io import write_bytes_atomic

DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"
DAYS_FORMAT = "#,##0.0"

#: Words that make a column (or a ``metric`` row) money, and words that veto it.
_MONEY_WORDS = ("cost", "npv", "value", "capex", "opex", "cumulative", "budget", "penalty")
_NOT_MONEY_WORDS = ("probability", "share", "days", "workdays", "utilization", "roi")
_PERCENT_WORDS = ("probability", "share", "utilization")


def money_format(currency: str) -> str:
    """The number format of money in ``currency``: whole units, thousands separated."""
    safe = currency.replace('"', "")
    return f'#,##0 "{safe}"'


def is_money(name: str) -> bool:
    """Whether a column (or portfolio metric) named ``name`` holds money."""
    low = name.lower()
    return any(w in low for w in _MONEY_WORDS) and not any(w in low for w in _NOT_MONEY_WORDS)


def is_percent(name: str) -> bool:
    """Whether a column named ``name`` holds a probability or a share (0-1)."""
    return any(w in name.lower() for w in _PERCENT_WORDS)


def heading(column: str, df: pd.DataFrame) -> str:
    """The human heading of ``column`` in a sheet (:func:`~portfolio_sim.formatting.label`);
    in a table of ``metric`` rows (finish dates, cost, NPV) a percentile column is just
    ``"P50"``, as it holds a date in one row and money in the next."""
    if "metric" in df.columns and column[:1] == "p" and column[1:].isdigit():
        return column.upper()
    return label(column)


def _cell_value(v: Any) -> Any:
    """A pandas/numpy value as what openpyxl stores: date, number, bool, text or None."""
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp | np.datetime64):
        return None if pd.isna(v) else pd.Timestamp(v).to_pydatetime()
    if isinstance(v, dt.datetime | dt.date):
        return v
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return None if math.isnan(v) or math.isinf(v) else float(v)
    return str(v)


def _write_sheet(ws: Any, df: pd.DataFrame, currency: str) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws.append([heading(str(c), df) for c in df.columns])  # the CSV keeps the keys
    for cell in ws[1]:
        cell.font = Font(bold=True)
    money = money_format(currency)
    columns = [str(c) for c in df.columns]
    row_money = (
        [is_money(str(m)) for m in df["metric"]] if "metric" in df.columns else [False] * len(df)
    )
    for r, values in enumerate(df.itertuples(index=False, name=None)):
        ws.append([_cell_value(v) for v in values])
        for c, name in enumerate(columns):
            cell = ws.cell(row=r + 2, column=c + 1)
            if isinstance(cell.value, dt.date):
                cell.number_format = DATE_FORMAT
            elif isinstance(cell.value, bool) or not isinstance(cell.value, int | float):
                continue
            elif is_percent(name):
                cell.number_format = PERCENT_FORMAT
            elif is_money(name) or row_money[r]:
                cell.number_format = money
            elif "days" in name:
                cell.number_format = DAYS_FORMAT
    for c, name in enumerate(columns):
        width = max([len(heading(name, df))] + [len(str(v)) for v in df.iloc[:50, c]] + [10])
        ws.column_dimensions[get_column_letter(c + 1)].width = min(width + 2, 40)
    ws.freeze_panes = "A2"


def workbook_bytes(
    tables: Mapping[str, pd.DataFrame], currency: str, provenance: Mapping[str, Any]
) -> bytes:
    """The .xlsx file of ``tables`` (one sheet each, in order) and a provenance sheet."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, df in tables.items():
        _write_sheet(wb.create_sheet(title=name[:31]), df, currency)
    prov = pd.DataFrame(
        {
            "key": list(provenance),
            "value": ["" if v is None else str(v) for v in provenance.values()],
        }
    )
    _write_sheet(wb.create_sheet(title="provenance"), prov, currency)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_workbook(
    path: str,
    tables: Mapping[str, pd.DataFrame],
    currency: str,
    provenance: Mapping[str, Any],
    protect: Sequence[str] = (),
) -> None:
    """Write the workbook of ``tables`` to ``path`` atomically (never over ``protect``)."""
    write_bytes_atomic(path, workbook_bytes(tables, currency, provenance), protect)


def forecast_tables(fc: Any) -> dict[str, pd.DataFrame]:
    """The tables of one forecast, as its CSV folder holds them."""
    tables = {
        "features": fc.features,
        "teams": fc.teams,
        "portfolio": fc.portfolio.reset_index(),
    }
    if fc.raw.money is not None:
        tables["months"] = fc.months
        tables["team_months"] = fc.team_months
    if fc.how_many is not None:
        tables["how_many"] = fc.how_many
    if fc.raw.load_hist is not None:
        tables["team_load"] = fc.team_load
    return tables


def forecast_to_excel(fc: Any, path: str, protect: Sequence[str] = ()) -> None:
    """Write one forecast's workbook (features, teams, portfolio, months, team months,
    how many when asked for, team load, provenance) to ``path`` atomically."""
    write_workbook(path, forecast_tables(fc), str(fc.compiled.currency), fc.meta, protect)
