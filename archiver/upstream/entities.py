"""Turn upstream responses into the archive's entities, part by part.

A model file holds two parts (`v1`, `catalog`), a provider file three (`all_providers`,
`v1`, `provider_info`), an endpoint file is one flat object. Each part comes from one
listing; `Observed.part_whole` tells whether that listing was seen completely and validly,
which is what decides whether an entity missing from it is gone or merely unseen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from archiver.textsafe import key_text
from archiver.upstream import fields as telemetry
from archiver.upstream import sources
from archiver.upstream.endpoints import EndpointCollector, PackFigures
from archiver.upstream.fetch import Response
from archiver.upstream.listing import (
    CATALOG_MODEL_MARK,
    ENDPOINT_MARK,
    is_whole,
    listing_items,
    unique_by,
)
from archiver.upstream.provider_choice import ArchivedProviders

MODEL_PARTS = ("v1", "catalog")
PROVIDER_PARTS = ("all_providers", "v1", "provider_info")
ENDPOINT_PART = "endpoint"


@dataclass
class Fetched:
    """The responses of one sync (None: the source was not fetched or not offered)."""

    v1_models: Response | None = None
    catalog: Response | None = None
    all_providers: Response | None = None
    v1_providers: Response | None = None
    endpoint_lists: dict[str, Response] = field(default_factory=dict)
    variant_telemetry: dict[str, dict[str, Response]] = field(default_factory=dict)


@dataclass
class Observed:
    """Entities as one sync saw them, by category, part and key."""

    # Endpoint parts are held as the canonical bytes of their files (archiver.upstream.endpoints).
    parts: dict[str, dict[str, dict[str, Any]]]
    whole: dict[tuple[str, str], bool]
    endpoint_lists_whole: dict[str, bool]
    catalog_whole: bool
    keys_with_endpoint: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    # {kind: {key: figures}}; endpoint figures are held as orjson's bytes (endpoints.Figures).
    telemetry: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Model variants whose per-variant telemetry failed or was not asked this sync: their
    # figures stand.
    variants_failed: set[str] = field(default_factory=set)
    # (category, part) whose listing came back unusable this sync in a way the next one may
    # not (an error, a 5xx, a broken body; not a 404): any key may be in it upstream.
    unread: set[tuple[str, str]] = field(default_factory=set)

    def part_whole(self, category: str, part: str, old: Mapping[str, Any] | None) -> bool:
        """Tell whether an entity absent from this part's listing is really gone upstream."""
        if category != "endpoint":
            return self.whole.get((category, part), False)
        model_key = old.get("model_variant_slug") if old else None
        if not isinstance(model_key, str) or not self.catalog_whole:
            return False
        if model_key in self.endpoint_lists_whole:
            # The listing that would hold it was fetched: only a whole one is evidence.
            return self.endpoint_lists_whole[model_key]
        if model_key in self.parts["model"].get("catalog", {}):
            # Listed without a featured endpoint and no listing fetched: no evidence, keep it.
            return False
        if model_key in self.parts["model"].get("v1", {}):
            # Left the catalog but not /api/v1/models, the list of modelKeys (a `:free`
            # variant missing from the catalog for an hour), and its listing, asked by the
            # permaslug its endpoints carry (upstream.unseen_listings), was not read: no
            # listing shows it gone.
            return False
        if not self.whole.get(("model", "v1"), False):
            # /api/v1/models failed (or came back in part): it may still list the model, so
            # nothing shows it gone; a failed request must not remove its endpoints.
            return False
        # Its model left the whole catalog, so its own listing is gone. Only an alias's
        # listing ("~...") holds another model's endpoints: those must all be whole.
        aliases = (whole for key, whole in self.endpoint_lists_whole.items() if key[:1] == "~")
        return all(aliases)


def _unread(response: Response | None, items: list[dict[str, Any]] | None) -> bool:
    """Tell whether a listing came back unusable in a way the next sync may not see (not a
    404: a source that moved or is not offered stays so; not a listing with a few bad items:
    a schema change does too; neither may hold anything back)."""
    return response is not None and items is None and response.status != 404


def catalog_entity(entry: dict[str, Any]) -> list[Any]:
    """Return what decides between two catalog copies of one model key: first a copy whose
    featured endpoint names that key, then the copy without its endpoint's telemetry.

    A copy keyed by its slug alone may be another variant of the model: `x:free` shown for
    an hour with `endpoint: null` is keyed `x`, and taken, it rewrote `x`'s file with its own.
    """
    endpoint = entry.get("endpoint")
    if isinstance(endpoint, dict):
        named = endpoint.get("model_variant_slug") == catalog_key(entry)
        return [not named, {**entry, "endpoint": telemetry.split_endpoint(endpoint)[0]}]
    return [True, entry]


def catalog_key(entry: Mapping[str, Any]) -> str:
    """Return the modelKey of a catalog entry: its endpoint's variant slug, else its slug."""
    endpoint = entry.get("endpoint")
    variant_slug = endpoint.get("model_variant_slug") if isinstance(endpoint, dict) else None
    if isinstance(variant_slug, str) and variant_slug:
        # An empty one is no key: taken, the entry was refused under "" and the model's
        # catalog part removed from the whole listing it was still in.
        return variant_slug
    return str(entry["slug"])


@dataclass(frozen=True)
class Variant:
    """How OpenRouter's per-variant endpoints address one catalog model."""

    permaslug: str
    variant: str
    has_endpoint: bool

    def url(self, path: str) -> str:
        """Return this variant's URL on a per-variant source (stats/endpoint and friends)."""
        return sources.variant_url(path, self.permaslug, self.variant)


def catalog_variants(catalog: Response) -> dict[str, Variant]:
    """Return {modelKey: Variant} for every valid catalog model."""
    variants: dict[str, Variant] = {}
    items = listing_items(catalog, "catalog", ("slug", "permaslug"), []) or []
    for entry in unique_by(items, catalog_key, "catalog", [], catalog_entity).values():
        endpoint = entry.get("endpoint")
        featured = isinstance(endpoint, dict) and isinstance(endpoint.get("variant"), str)
        variant = (
            str(endpoint["variant"]) if isinstance(endpoint, dict) and featured else "standard"
        )
        variants[catalog_key(entry)] = Variant(entry["permaslug"], variant, featured)
    return variants


def observe(fetched: Fetched) -> Observed:
    """Build every entity part the responses hold, noting which listings were whole."""
    observer = Observer()
    observer.listings(
        {
            "v1_models": fetched.v1_models,
            "catalog": fetched.catalog,
            "all_providers": fetched.all_providers,
            "v1_providers": fetched.v1_providers,
        }
    )
    for model_key, response in fetched.endpoint_lists.items():
        observer.endpoint_listing(model_key, response)
    for model_key, responses in fetched.variant_telemetry.items():
        for name, response in responses.items():
            observer.variant_telemetry(model_key, name, response)
    return observer.observed()


class Observer:
    """Observe a sync's responses as they arrive; the big ones are not kept whole.

    The four listings come first (the catalog names the endpoint listings to fetch), then
    endpoint listings and per-variant telemetry in any order, then `observed()`.
    `pack_figures` packs each endpoint's figures as its listing is read (see endpoints.Figures);
    `archived_providers` holds the archive's provider records and which of them its
    endpoints carry (archive.provider_records).
    """

    def __init__(
        self,
        pack_figures: PackFigures | None = None,
        archived_providers: ArchivedProviders | None = None,
    ) -> None:
        self.v1_models: Response | None = None
        self.catalog: Response | None = None
        self.all_providers: Response | None = None
        self.v1_providers: Response | None = None
        self._endpoints = EndpointCollector(pack_figures)
        archived = archived_providers or ArchivedProviders()
        self._endpoints.archived, self._endpoints.carriers = archived.records, archived.carriers
        self._variant_telemetry: dict[str, dict[str, Any]] = {}
        self._variant_problems: dict[tuple[str, str], str] = {}
        # {figure name: variants whose source answered 404}, and the names some variant got.
        self._variants_not_offered: dict[str, set[str]] = {}
        self._names_answered: set[str] = set()
        # Models whose endpoint listing was not offered (a capture that did not record it).
        self.listings_not_offered: set[str] = set()
        # Models whose endpoint listing failed this sync (an error, a 5xx, a broken body;
        # or one taken as failed: another model's, cut short).
        self.endpoint_listings_unread: set[str] = set()

    def listings(self, responses: Mapping[sources.ListingName, Response | None]) -> None:
        """Take the catalog-wide listings by name (missing or None: not fetched or offered)."""
        self.v1_models = responses.get("v1_models")
        self.catalog = responses.get("catalog")
        self.all_providers = responses.get("all_providers")
        self.v1_providers = responses.get("v1_providers")

    def seen_endpoints(self) -> set[str]:
        """Return the ids of every endpoint some listing held so far."""
        return self._endpoints.seen()

    def listings_whole(self) -> dict[str, bool]:
        """Return {modelKey: whether its endpoint listing was read whole} of those taken so far."""
        return dict(self._endpoints.whole)

    def endpoint_listing(self, model_key: str, response: Response) -> None:
        """Take one model's endpoint listing (its body is not kept)."""
        body = response.data
        usable = response.ok and isinstance(body, dict) and isinstance(body.get("data"), list)
        if not usable:
            # The provider records come from these listings: this one may hold a provider
            # no other names, which written now would change when the listing comes back.
            # A 404 too: a model the catalog lists has one (a 404 of a source not offered,
            # as in a capture that did not record it, comes as endpoint_listing_not_offered).
            self.endpoint_listings_unread.add(model_key)
        self._endpoints.add(model_key, response)

    def endpoint_listing_not_offered(self, model_key: str) -> None:
        """Note a model whose endpoint listing was not offered: the providers it would name
        were not seen, so the provider records are not whole (its endpoints stay as well)."""
        self.listings_not_offered.add(model_key)

    def variant_telemetry(self, model_key: str, name: str, response: Response) -> None:
        """Take one model variant's per-variant telemetry (effective pricing, activity)."""
        body = response.data
        label = f"{name.replace('_', ' ')} of {key_text(model_key)}"
        self._names_answered.add(name)
        if not response.ok:
            self._variant_problems[model_key, name] = f"{label}: {response.error}"
        elif isinstance(body, dict) and "data" in body:
            self._variant_telemetry.setdefault(model_key, {})[name] = body["data"]
        else:
            self._variant_problems[model_key, name] = (
                f"{label}: expected an object with 'data' from {response.url}"
            )

    def variant_telemetry_not_offered(self, model_key: str, name: str) -> None:
        """Note a variant one of whose per-variant sources answered 404. Where the source
        answered other variants, that is no evidence that this one has no figures (upstream
        sends zeros for a variant without use): its last stand. Where it answered none, the
        source is not offered (moved): its figures are no longer sent, the others stay kept."""
        self._variants_not_offered.setdefault(name, set()).add(model_key)

    def observed(self) -> Observed:
        """Return the entities and telemetry of everything taken."""
        problems: list[str] = []
        observed = Observed(
            parts={"model": {}, "endpoint": {}, "provider": {}},
            whole={},
            endpoint_lists_whole=self._endpoints.whole,
            catalog_whole=False,
            problems=problems,
            telemetry={"model": {}, "endpoint": {}, "model_variant": {}},
        )
        _observe_v1_models(self.v1_models, observed)
        featured = _observe_catalog(self.catalog, observed)
        endpoints = self._endpoints.finish(featured)
        self.endpoint_listings_unread |= self._endpoints.taken_as_failed
        problems += self._endpoints.problems
        observed.parts["endpoint"][ENDPOINT_PART] = endpoints.files
        observed.telemetry["endpoint"] = endpoints.telemetry
        _observe_providers(self, endpoints.providers, observed)
        # A variant with a failed source keeps its last figures whole: half of them would
        # read as the other source's fields gone, then back at the next fetch.
        observed.variants_failed = {key for key, _ in self._variant_problems}
        for name, keys in self._variants_not_offered.items():
            observed.variants_failed |= keys if name in self._names_answered else set()
        # A variant /api/v1/models lists and the catalog does not was not asked (the catalog
        # gives its permaslug): its figures stand, as its endpoints do (part_whole).
        models = observed.parts["model"]
        observed.variants_failed |= models["v1"].keys() - models["catalog"].keys()
        # Sorted: figures arrive in any order, and the files' columns follow first sight.
        for key in sorted(self._variant_telemetry.keys() - observed.variants_failed):
            figures = self._variant_telemetry[key]
            observed.telemetry["model_variant"][key] = {n: figures[n] for n in sorted(figures)}
        problems += [self._variant_problems[k] for k in sorted(self._variant_problems)]
        return observed


def _observe_v1_models(response: Response | None, observed: Observed) -> None:
    """Fill the `v1` part of models from /api/v1/models."""
    part: dict[str, Any] = {}
    # An endpoint has a string `id` too: an endpoint listing's body would read as models.
    foreign = (ENDPOINT_MARK,)
    items = listing_items(response, "v1 models", ("id",), observed.problems, foreign)
    unique = unique_by(
        items or [], lambda item: item["id"], "v1 models", observed.problems, _v1_entity
    )
    for key, item in unique.items():
        entity, figures = telemetry.split_model(item)
        part[key] = entity
        if figures:
            observed.telemetry["model"][key] = figures
    observed.parts["model"]["v1"] = part
    observed.whole["model", "v1"] = is_whole(response, items)
    if _unread(response, items):
        observed.unread.add(("model", "v1"))


def _v1_entity(item: dict[str, Any]) -> dict[str, Any]:
    """Return a v1 model without its telemetry (what decides between two copies of one)."""
    return telemetry.split_model(item)[0]


def _observe_catalog(
    response: Response | None, observed: Observed
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Fill the `catalog` part of models; return {id: (modelKey, featured endpoint)}."""
    part: dict[str, Any] = {}
    featured: dict[str, tuple[str, dict[str, Any]]] = {}
    items = listing_items(response, "catalog models", ("slug", "permaslug"), observed.problems)
    unique = unique_by(
        items or [], catalog_key, "catalog models", observed.problems, catalog_entity
    )
    for item in unique.values():
        entry = dict(item)
        endpoint = entry.get("endpoint")
        if isinstance(endpoint, dict) and isinstance(endpoint.get("id"), str):
            featured[endpoint["id"]] = (catalog_key(item), endpoint)
            entry["endpoint"] = endpoint["id"]
            observed.keys_with_endpoint.add(catalog_key(item))
        elif isinstance(endpoint, dict):
            # No id to archive it under: it stays in the model file, but not its telemetry,
            # or the file would change every hour until upstream sends an id again.
            entry["endpoint"] = telemetry.split_endpoint(endpoint)[0]
        part[catalog_key(item)] = entry
    observed.parts["model"]["catalog"] = part
    observed.catalog_whole = observed.whole["model", "catalog"] = is_whole(response, items)
    if items and not any("endpoint" in item for item in items):
        # Upstream renamed or moved the featured endpoint: the endpoints only the catalog
        # held (a `~` alias's own) would read as gone, and no new model's listing is asked.
        observed.problems.append(
            "catalog models: no entry carries 'endpoint' (renamed or moved upstream?); "
            "featured endpoints not read, no endpoint removed for want of one"
        )
        observed.catalog_whole = False  # The model parts it holds are read whole still.
    if _unread(response, items):
        # The catalog names the endpoint listings the provider records come from.
        observed.unread |= {("model", "catalog"), ("provider", "provider_info")}
    return featured


def _observe_providers(
    listings: Observer, embedded: dict[str, dict[str, Any]], observed: Observed
) -> None:
    """Fill the three provider parts."""
    for part, response, label in (
        ("all_providers", listings.all_providers, "all providers"),
        ("v1", listings.v1_providers, "v1 providers"),
    ):
        # A catalog model has a string `slug` too: the catalog's body would read as providers.
        foreign = (CATALOG_MODEL_MARK, ENDPOINT_MARK)
        items = listing_items(response, label, ("slug",), observed.problems, foreign)
        unique = unique_by(items or [], lambda item: item["slug"], label, observed.problems)
        observed.parts["provider"][part] = unique
        observed.whole["provider", part] = is_whole(response, items)
        if _unread(response, items):
            observed.unread.add(("provider", part))
    observed.parts["provider"]["provider_info"] = embedded
    lists = observed.endpoint_lists_whole.values()
    # A listing not offered is no evidence either: a provider named only there is not gone.
    unseen = listings.listings_not_offered
    observed.whole["provider", "provider_info"] = (
        observed.catalog_whole and all(lists) and not unseen
    )
    if listings.endpoint_listings_unread:
        observed.unread.add(("provider", "provider_info"))
