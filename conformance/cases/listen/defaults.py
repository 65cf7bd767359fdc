"""LISTEN defaults: what document 004 says holds when a parameter is absent (alternatives 1,
utt_split 0.8), judged only where the audio makes it observable."""

from __future__ import annotations

from itertools import pairwise

from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.registry import case
from conformance.cases.kit.walk import (
    alternatives,
    get,
    items,
    number,
    result_channels,
    utterances,
)
from conformance.wire import audio

DEFAULT_UTT_SPLIT = 0.8
"""Document 004: "it starts a new utterance after 0.8 s of silence"."""


@case("LISTEN-ALTERNATIVES-DEFAULT")
async def one_alternative_by_default(ctx: CaseContext) -> None:
    """Without alternatives, every result channel has exactly one alternative."""
    for clip in (audio.mono(), audio.stereo()):
        body = await ctx.transcription(clip)
        for c, channel in enumerate(result_channels(body)):
            found = len(items(get(channel, "alternatives"), f"results.channels[{c}].alternatives"))
            ctx.check(
                found == 1,
                f"the {clip.name} clip without alternatives: results.channels[{c}] has {found} "
                "alternatives; the documented default is 1",
            )


def _gaps(spoken: list[object], where: str) -> list[tuple[float, object, object]]:
    """(silence, word, next word) between consecutive words."""
    return [
        (number(get(b, "start"), f"{where}.start") - number(get(a, "end"), f"{where}.end"), a, b)
        for a, b in pairwise(spoken)
    ]


@case("LISTEN-UTT-SPLIT-DEFAULT")
async def utterances_split_at_default(ctx: CaseContext) -> None:
    """utterances=true without utt_split: no utterance spans more than 0.8 s of silence."""
    clip = audio.mono()
    body = await ctx.transcription(clip, [("utterances", "true")])
    if "utterances" not in get(body, "results"):
        ctx.blocked("LISTEN-UTTERANCES", "utterances=true gave no results.utterances to inspect")
    allowed = DEFAULT_UTT_SPLIT + ctx.config.timing.gap_tolerance
    first, alternative = next(alternatives(body), ("results.channels[0].alternatives[0]", {}))
    spoken = items(get(alternative, "words"), f"{first}.words")
    if not any(gap > allowed for gap, _, _ in _gaps(spoken, f"{first}.words")):
        ctx.skip(
            f"no two recognised words of the {clip.name} clip are more than {allowed:g} s apart, "
            "so the default split cannot be observed"
        )
    for u, utterance in enumerate(utterances(body)):
        where = f"results.utterances[{u}].words"
        for gap, previous, word in _gaps(items(get(utterance, "words"), where), where):
            ctx.check(
                gap <= allowed,
                f"results.utterances[{u}] keeps {get(previous, 'word')!r} and "
                f"{get(word, 'word')!r} together across {gap:.3g} s of silence; without "
                f"utt_split the documented split is after {DEFAULT_UTT_SPLIT:g} s",
            )
