"""The two-week silence rule: days since the account last published, a warning at 10 days and an
alarm at 14 (configurable), one alert per silence that resolves when the account publishes again."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from publishing_helpers import apply_and_approve, make_due, plan_file
from wxpub.infra.config import ConfigError, Settings
from wxpub.models import Alert, Release
from wxpub.publishing import pipeline
from wxpub.releases import liveness


def _published_days_ago(rt, release_id, days):
    with rt.db.session() as s:
        s.execute(update(Release).where(Release.id == release_id)
                  .values(published_at=rt.clock.now() - timedelta(days=days, hours=1)))
        s.commit()


def test_silence_warns_then_alarms_once_and_clears_after_a_publication(rt, tmp_path, sandbox_sleep, cli_for):
    ids = apply_and_approve(rt, plan_file(tmp_path, chapters=("市场环境", "政务环境"),
                                          start=rt.clock.now() + timedelta(hours=2), interval="30d"))
    make_due(rt, ids[:1])
    assert pipeline.run_release(rt, ids[0], worker="t:1", sleep=sandbox_sleep) == "published"
    assert liveness.check(rt).level == "ok"
    _published_days_ago(rt, ids[0], 11)
    state = liveness.check(rt)
    assert (state.level, state.days) == ("warn", 11) and not state.next_in_time
    _published_days_ago(rt, ids[0], 15)
    liveness.check(rt)
    liveness.check(rt)  # the hourly job again: the same alert, counted, not a new one
    with rt.db.session() as s:
        open_alerts = s.scalars(select(Alert).where(Alert.resolved_at.is_(None),
                                                    Alert.cause.like("account:silence:%"))).all()
        assert len(open_alerts) == 1 and open_alerts[0].severity == "error" and open_alerts[0].count == 2
        assert "已达到 14 天不更新的检查红线" in open_alerts[0].message
    shown = cli_for(rt)("account", "status")
    assert shown.exit_code == 1 and "【告警】距上次发布" in shown.output
    data = json.loads(cli_for(rt)("account", "status", "--json").output)
    assert data["level"] == "alarm" and data["days_since_last"] == 15 and data["next_in_time"] is False
    make_due(rt, ids[1:])
    assert pipeline.run_release(rt, ids[1], worker="t:1", sleep=sandbox_sleep) == "published"
    assert liveness.check(rt).level == "ok"
    with rt.db.session() as s:
        assert s.scalar(select(Alert).where(Alert.resolved_at.is_(None),
                                            Alert.cause.like("account:silence:%"))) is None


@pytest.fixture
def cli_for():
    from click.testing import CliRunner
    from wxpub.cli.main import main

    def bind(rt):
        env = {"WXPUB_DATABASE_URL": rt.settings.database_url, "WXPUB_ENV": "test",
               "WXPUB_INSTANCE_PATH": str(rt.settings.instance_path),
               "WXPUB_REVIEW_STAGES": rt.settings.review_stages,
               "WXPUB_PROOFREAD_ROUNDS": str(rt.settings.proofread_rounds)}
        return lambda *args: CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return bind


@pytest.mark.parametrize("values,variable", [
    ({"silence_warn_days": "0"}, "WXPUB_SILENCE_WARN_DAYS"),
    ({"silence_warn_days": "14", "silence_alarm_days": "14"}, "WXPUB_SILENCE_ALARM_DAYS"),
    ({"silence_alarm_days": "两周"}, "WXPUB_SILENCE_ALARM_DAYS"),
])
def test_the_thresholds_are_checked_at_start_up(values, variable):
    with pytest.raises(ConfigError, match=variable):
        Settings.from_mapping(values)


def test_ten_days_for_localities_that_require_it():
    assert Settings.from_mapping({"silence_warn_days": "7", "silence_alarm_days": "10"}).silence_alarm_days == 10
