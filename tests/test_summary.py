"""The run summary's clock and markdown."""

import time

from tasks.summary import RUN_CLOCK, StageClock, lap, quality_markdown


def test_stages_lap_the_running_clock_only_inside_its_block_and_a_stage_met_twice_adds_up():
    lap("outside")  # no flow running: nothing to lap, no error
    with StageClock() as clock:
        assert RUN_CLOCK.get() is clock
        lap("segment")
        time.sleep(0.02)
        lap("terms")
        lap("segment")
        time.sleep(0.02)
        lap("done")
    assert RUN_CLOCK.get() is None
    assert set(clock.seconds) == {"segment", "terms"}
    assert clock.seconds["segment"] >= 0.04 and clock.elapsed() >= clock.seconds["segment"]


def test_quality_markdown_lists_flagged_rows_or_says_there_are_none():
    assert quality_markdown({}) == "no row flagged as implausible\n\n"
    assert "| indicators.growth_above_limit | 2 |" in quality_markdown({"indicators.growth_above_limit": 2})
