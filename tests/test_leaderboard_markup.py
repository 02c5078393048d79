"""The pages' repeated markup written in Python (harness.report.leaderboard.page_markup): exact
bytes by hand, untrusted text escaped as jinja escapes it."""
from __future__ import annotations

from harness.report.leaderboard.page_markup import board_cells, command_markup, mark_markup


def test_a_command_wraps_between_its_pieces_and_escapes_everything():
    text = 'harness eval --model "<b>x</b>" --force\necho a&b'
    assert command_markup(text, id="cmd-1") == (
        '<div class="command" id="cmd-1"><code><span class="w">harness</span> <span class="w">eval</span> '
        '<span class="w">--model &#34;&lt;b&gt;x&lt;/b&gt;&#34;</span> <span class="w">--force</span><br>'
        '<span class="w">echo</span> <span class="w">a&amp;b</span></code><button type="button" class="copy" '
        'data-copy-text="harness eval --model &#34;&lt;b&gt;x&lt;/b&gt;&#34; --force\necho a&amp;b" title="copy the command">Copy</button></div>'
    )
    assert command_markup("ls").startswith('<div class="command"><code>')


def test_board_cells_by_hand():
    mean = {"average": True}
    pair = {"average": False}
    ranked = {"value": 0.5, "text": "0.5000", "best": True, "rank": 1, "rank_worst": 2, "rank_text": "1–2", "mark": 1,
              "rank_tip": 'rank 1–2 of "3"', "partial": None, "p": 0.01}
    partial = {"value": 0.25, "text": "0.2500", "partial": "57 of 1,190", "tip": "partial <only>", "p": None}
    plain = {**ranked, "best": False, "mark": -1, "p": 0.00012345678901234567}
    assert board_cells([ranked, partial, plain, {"value": None}, {"value": None}], [mean, pair, pair, mean, pair]) == (
        '<td data-value="0.5" data-rank="1 2" data-p="0.01" data-mark="better" '
        'class="best col-mean">0.5000<i class="mark-up">▲</i><span class="rank top" title="rank 1–2 of &#34;3&#34;">1–2</span></td>\n'
        '<td data-value="0.25" data-partial="57 of 1,190" title="partial &lt;only&gt;" class="partial">0.2500<span class="coverage">57 of 1,190</span></td>\n'
        '<td data-value="0.5" data-rank="1 2" data-p="0.00012345678901234567" data-mark="worse">0.5000▼</td>\n'
        '<td class="col-mean"></td>\n<td></td>\n'
    )
    assert mark_markup(0) == "" and mark_markup(2) == '<i class="mark-up">▲</i>'
