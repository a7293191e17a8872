"""Which kind of change each field of an entity file makes, and how its change reads.

The tables map a field's path (list indexes dropped; a model's ``v1.`` / ``catalog.``
and a provider's ``all_providers.`` / ``provider_info.`` copy prefix dropped) to a
:class:`Kind`: the longest listed prefix wins. A field no table lists is guessed from its
name (``*pric*`` is a price, ``*modalities`` modalities...) and otherwise is ``other``:
an upstream field added tomorrow is shown, never a crash. Prices are not read here but
in :mod:`archiver.history.price_moves`, which knows their units and copies.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

__all__ = ["ABSENT", "COPY_ROOTS", "Kind", "field_kind", "field_text"]

# A field missing from one side (not the same as a JSON null there).
ABSENT = object()


class Kind(enum.StrEnum):
    """A kind of change users understand, most important first (the order changes sort in)."""

    REMOVED = "removed"
    ADDED = "added"
    RETURNED = "returned"
    STATUS = "status"
    PRICE = "price"
    DEPRECATION = "deprecation"
    DATA_POLICY = "data_policy"
    # Joining or leaving OpenRouter's zero-data-retention list (data/zdr/endpoints.json).
    ZDR = "zdr"
    CONTEXT = "context"
    QUANTIZATION = "quantization"
    LIMITS = "limits"
    MODALITIES = "modalities"
    FEATURES = "features"
    PROVIDER_RENAMED = "provider_renamed"
    METADATA = "metadata"
    OTHER = "other"


K = Kind
# Top-level objects of a model or provider file that hold one upstream source's copy.
COPY_ROOTS = {"model": ("v1", "catalog"), "provider": ("all_providers", "provider_info")}
_SHARED: dict[str, Kind] = {
    "pricing": K.PRICE,
    "display_pricing": K.PRICE,
    "pricing_json": K.PRICE,
    "pricing_version_id": K.PRICE,
    "tiers": K.PRICE,
    "is_free": K.PRICE,
    "context_length": K.CONTEXT,
    "max_completion_tokens": K.CONTEXT,
    "max_prompt_tokens": K.CONTEXT,
    "max_tokens_per_image": K.CONTEXT,
    "top_provider.context_length": K.CONTEXT,
    "top_provider.max_completion_tokens": K.CONTEXT,
    "quantization": K.QUANTIZATION,
    "provider_slug": K.QUANTIZATION,
    "limit_rpd": K.LIMITS,
    "limit_rpm": K.LIMITS,
    "limit_rpm_cf": K.LIMITS,
    "capacity_tpm": K.LIMITS,
    "per_request_limits": K.LIMITS,
    "features.disable_free_endpoint_limits": K.LIMITS,
    "data_policy": K.DATA_POLICY,
    "dataPolicy": K.DATA_POLICY,
    "sendClientIp": K.DATA_POLICY,
    "zdr": K.ZDR,
    "is_disabled": K.STATUS,
    "is_hidden": K.STATUS,
    "is_deranked": K.STATUS,
    "is_private": K.STATUS,
    "is_byok_only": K.STATUS,
    "moderation_required": K.STATUS,
    "moderationRequired": K.STATUS,
    "top_provider.is_moderated": K.STATUS,
    "hidden": K.STATUS,
    "warning_message": K.STATUS,
    "routing_error_message": K.STATUS,
    "deprecation_date": K.DEPRECATION,
    "expiration_date": K.DEPRECATION,
    "provider_display_name": K.PROVIDER_RENAMED,
    "provider_name": K.PROVIDER_RENAMED,
    "provider_info_endpoint.displayName": K.PROVIDER_RENAMED,
    "displayName": K.PROVIDER_RENAMED,
    "architecture.input_modalities": K.MODALITIES,
    "architecture.output_modalities": K.MODALITIES,
    "architecture.modality": K.MODALITIES,
    "input_modalities": K.MODALITIES,
    "output_modalities": K.MODALITIES,
    "has_text_output": K.MODALITIES,
}
_FEATURES = (
    "supported_parameters excluded_parameters allowed_passthrough_parameters features "
    "supported_image_parameters supported_video_parameters supports_multipart supports_reasoning "
    "supports_tool_parameters has_chat_completions has_completions can_abort is_byok "
    "default_parameters reasoning reasoning_config supported_voices supported_tts_voices "
    "default_stops byokEnabled hasChatCompletions hasCompletions isAbortable "
    "provider_info_endpoint.hasChatCompletions provider_info_endpoint.hasCompletions "
    "provider_info_endpoint.isAbortable"
)
_METADATA = (
    "name short_name description author author_display_name hugging_face_id hf_slug "
    "hf_updated_at knowledge_cutoff created created_at updated_at canonical_slug permaslug slug "
    "links group instruct_type architecture.instruct_type architecture.tokenizer benchmarks "
    "default_system model_version_group_id preview_thumbnail_url promotion_message "
    "quick_start_example_type is_trainable_image is_trainable_text default_order endpoint router "
    "id model model_variant_slug model_variant_permaslug adapter_name provider_model_id variant "
    "provider_region provider_info provider_info_endpoint headquarters datacenters icon "
    "statusPageUrl editors owners baseUrl adapterName pricingStrategy key"
)
RULES: dict[str, Kind] = {
    **{name: K.FEATURES for name in _FEATURES.split()},
    **{name: K.METADATA for name in _METADATA.split()},
    **_SHARED,
}
# Name fragments for fields no table lists yet, tried in this order.
_GUESSES = (
    ("zdr", K.DATA_POLICY),
    ("retention", K.DATA_POLICY),
    ("training", K.DATA_POLICY),
    ("polic", K.DATA_POLICY),
    ("pric", K.PRICE),
    ("discount", K.PRICE),
    ("deprecat", K.DEPRECATION),
    ("expir", K.DEPRECATION),
    ("modalit", K.MODALITIES),
    ("context", K.CONTEXT),
    ("quantiz", K.QUANTIZATION),
    ("limit", K.LIMITS),
    ("capacity", K.LIMITS),
    ("support", K.FEATURES),
    ("parameters", K.FEATURES),
)
# Booleans that read as a sentence: field -> (text when true, text when false).
_SENTENCES = {
    "is_disabled": ("disabled", "enabled again"),
    "is_hidden": ("hidden", "no longer hidden"),
    "hidden": ("hidden from the catalog", "shown in the catalog again"),
    "is_deranked": ("deranked", "no longer deranked"),
    "is_private": ("now private", "now public"),
    "is_byok_only": ("now bring-your-own-key only", "no longer bring-your-own-key only"),
    "moderation_required": ("now moderated", "no longer moderated"),
    "moderationRequired": ("now moderated", "no longer moderated"),
    "top_provider.is_moderated": ("now moderated", "no longer moderated"),
    "is_free": ("now free", "no longer free"),
    "training": ("now trains on prompts", "no longer trains on prompts"),
    "trainingOpenRouter": (
        "OpenRouter may train on prompts",
        "OpenRouter does not train on prompts",
    ),
    "retainsPrompts": ("now retains prompts", "no longer retains prompts"),
    "canPublish": ("may publish prompts", "no longer publishes prompts"),
    "requiresUserIDs": ("now requires user IDs", "no longer requires user IDs"),
    "sendClientIp": ("now sends the client IP upstream", "no longer sends the client IP"),
    "zdr": ("joined the zero-data-retention list", "left the zero-data-retention list"),
}
_LABELS = {
    "context_length": ("context", " tokens"),
    "max_completion_tokens": ("max output", " tokens"),
    "max_prompt_tokens": ("max prompt", " tokens"),
    "max_tokens_per_image": ("max tokens per image", ""),
    "top_provider.context_length": ("context (top provider)", " tokens"),
    "top_provider.max_completion_tokens": ("max output (top provider)", " tokens"),
    "limit_rpm": ("rate limit", " requests/min"),
    "limit_rpd": ("daily limit", " requests/day"),
    "limit_rpm_cf": ("edge rate limit", " requests/min"),
    "capacity_tpm": ("capacity", " tokens/min"),
    "retentionDays": ("prompt retention", " days"),
    "provider_slug": ("provider tag", ""),
    "supported_parameters": ("parameters", ""),
    "input_modalities": ("input modalities", ""),
    "output_modalities": ("output modalities", ""),
    "architecture.input_modalities": ("input modalities", ""),
    "architecture.output_modalities": ("output modalities", ""),
    "deprecation_date": ("deprecation date", ""),
    "expiration_date": ("expiry date", ""),
    "endpoint": ("featured endpoint", ""),
}
TEXT_WIDTH = 60


def field_kind(category: str, field: tuple[str, ...]) -> Kind:
    """Return the kind of change a field makes (field: its path, copy prefix dropped)."""
    for end in range(len(field), 0, -1):
        found = RULES.get(".".join(field[:end]))
        if found is not None:
            return found
    name = ".".join(field).lower()
    return next((kind for fragment, kind in _GUESSES if fragment in name), K.OTHER)


def field_text(field: tuple[str, ...], old: Any, new: Any) -> str:
    """Return one field's change as a phrase: "context 131,072 -> 262,144 tokens"."""
    dotted = ".".join(field)
    sentence = _SENTENCES.get(dotted) or _SENTENCES.get(field[-1] if field else "")
    if sentence and isinstance(new, bool) and (old is ABSENT or isinstance(old, bool | None)):
        return sentence[0] if new else sentence[1]
    label, unit = _LABELS.get(dotted) or _LABELS.get(field[-1] if field else "", ("", ""))
    label = label or _readable(field)
    if isinstance(old, list) and isinstance(new, list):
        return f"{label} {_list_change(old, new)}"
    if _empty(old) and _empty(new):
        return f"{label} {'removed' if new is ABSENT else 'set to null'}"
    if _empty(old):
        return f"{label} set: {_value(new)}{unit}"
    if _empty(new):
        return f"{label} removed (was {_value(old)}{unit})"
    if isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > TEXT_WIDTH:
        return f"{label} changed"
    if isinstance(old, Mapping) or isinstance(new, Mapping):
        return f"{label} changed"
    return f"{label} {_value(old)} -> {_value(new)}{unit}"


def _empty(value: Any) -> bool:
    """Tell whether a field is null or missing."""
    return value is None or value is ABSENT


def _readable(field: tuple[str, ...]) -> str:
    """Return a field path as words: features.supports_video_urls -> supports video urls."""
    parts = [part for part in field if part not in ("features", "data_policy", "dataPolicy")]
    return " ".join(parts or field).replace("_", " ") or "entity"


def _list_change(old: list[Any], new: list[Any]) -> str:
    """Return how a list changed: +tools, -logprobs; or reordered."""
    old_items, new_items = [_value(item) for item in old], [_value(item) for item in new]
    added = [f"+{item}" for item in new_items if item not in old_items]
    removed = [f"-{item}" for item in old_items if item not in new_items]
    if not added and not removed:
        return "reordered" if old_items != new_items else "changed"
    shown = added + removed
    more = f", and {len(shown) - 6} more" if len(shown) > 6 else ""
    return ", ".join(shown[:6]) + more


def _value(value: Any) -> str:
    """Return a JSON value as a short phrase: 131,072; yes; "fp8"; none."""
    if value is None or value is ABSENT:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return value if len(value) <= TEXT_WIDTH else value[: TEXT_WIDTH - 3] + "..."
    if isinstance(value, list):
        return f"{len(value)} items"
    return "an object"
