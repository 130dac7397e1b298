"""Run parameters: defaults, per-team overrides and batch plans from YAML, validated in one object."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from salesnb.core import yamltext
from salesnb.core.errors import ParameterError
from salesnb.core.models import parse
from salesnb.core.scope import EACH_TEAM, LATEST, check_month
from salesnb.data.engine import check_url, is_url

PARAMS_DIR = Path("params")


class Settings(BaseModel):
    """Where data and reports live, how runs execute, and per-notebook parameters."""

    model_config = ConfigDict(extra="forbid")

    data_dir: Path = Field(description="Folder of input files (CSV, Parquet or Excel).")
    workspace: str | None = Field(None, description="DuckDB file, or a PostgreSQL URL (postgresql://user@host/db) "
                                  "whose database holds the contract tables; default <data_dir>/workspace.duckdb.")
    outputs: Path = Field(Path("outputs"), description="Where reports are written.")
    notebooks_dir: Path = Field(Path("notebooks"), description="Where the report notebooks are.")
    workers: int = Field(0, ge=0, description="Notebooks run at once; 0 = one per core.")
    cell_timeout: int = Field(600, gt=0, description="Seconds a notebook cell may run.")
    notebook_timeout: int = Field(1800, gt=0, description="Seconds a whole report may run.")
    currency: str = Field("", pattern=r"^([A-Z]{3})?$",
                          description="ISO 4217 code amounts are in; empty: the data folder's dataset.yaml.")
    country: str = Field("", pattern=r"^([A-Z]{2})?$",
                         description="ISO 3166 country whose public holidays count; empty: dataset.yaml's.")
    forecasting: dict[str, Any] = Field(
        default_factory=dict, description="How every forecast of the run is made: horizon, backtest_months, interval."
    )
    accountability: dict[str, Any] = Field(
        default_factory=dict, description="The accountability rule every report applies: threshold, k, n, "
        "ramp_months, low_activity."
    )
    notebooks: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Extra parameters per notebook, by notebook name."
    )

    @field_validator("workspace")
    @classmethod
    def _no_secret(cls, value: str | None) -> str | None:
        return check_url(value) if value and is_url(value) else value

    @property
    def workspace_path(self) -> Path | str:
        """The DuckDB file, or the warehouse URL."""
        if self.workspace and is_url(self.workspace):
            return self.workspace
        return Path(self.workspace) if self.workspace else self.data_dir / "workspace.duckdb"


class Plan(BaseModel):
    """A batch: every notebook for every team and month listed."""

    model_config = ConfigDict(extra="forbid")

    notebooks: list[str] = Field(min_length=1)
    teams: list[str] = Field(default_factory=lambda: [EACH_TEAM])
    months: list[str] = Field(default_factory=lambda: [LATEST])

    @field_validator("months")
    @classmethod
    def _months(cls, months: list[str]) -> list[str]:
        for m in months:
            check_month(m)
        return months


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from a file, with a clear error when absent or malformed."""
    if not path.exists():
        raise ParameterError(f"Parameter file '{path}' does not exist.")
    try:
        data = yamltext.read(path) or {}
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: not valid YAML: {exc}") from None
    except UnicodeDecodeError:
        raise ParameterError(f"{path}: not a UTF-8 text file.") from None
    except OSError as exc:
        raise ParameterError(f"Parameter file '{path}': {exc.strerror or exc}.") from None
    if not isinstance(data, dict):
        raise ParameterError(f"{path}: expected a mapping of names to values at the top level.")
    return data


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge two mappings, the override winning."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def load_settings(
    params_dir: Path = PARAMS_DIR, team: str | None = None, overrides: dict | None = None
) -> Settings:
    """Defaults, then the team's file if it has one, then command-line overrides."""
    data = read_yaml(params_dir / "defaults.yaml")
    team_file = params_dir / "teams" / f"{team}.yaml"
    if team and team_file.exists():
        data = merge(data, read_yaml(team_file))
    data = merge(data, {k: v for k, v in (overrides or {}).items() if v is not None})
    settings = parse(Settings, data, str(params_dir / "defaults.yaml"))
    base = params_dir.resolve().parent
    for name in ("data_dir", "workspace", "outputs", "notebooks_dir"):
        value = getattr(settings, name)
        if value is not None and not is_url(value) and not Path(value).is_absolute():
            setattr(settings, name, type(value)(base / value))
    return settings


def load_plan(path: Path) -> Plan:
    """A batch plan from YAML."""
    return parse(Plan, read_yaml(path), str(path))
