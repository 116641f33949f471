"""What ties the domains together below the runtime: the ordered migrations each domain
declares in its ``schema.py``, the derived-table chain that runs after identity changes, and
the trainers predict schedules from domains above it.

The store applies migrations without knowing the domains, and identity and profiles call the
derived chain through the slots they own; this module, above every domain and below the
runtime, the API and the CLI, fills both. :func:`migrate_workspace` is how a database is
opened for use, so the chain is in place before any identity pass can run.
"""

from __future__ import annotations

from datetime import datetime

from unicx.auth.schema import DASHBOARD_SESSIONS_SQL, DASHBOARD_USERS_SQL
from unicx.channels.messages import message_log
from unicx.channels.person_token import create_secret as create_person_secret
from unicx.channels.render import install_journey_content
from unicx.channels.schema import CHANNELS_SQL, SCRUB_ANSWERS_SQL
from unicx.config import Settings
from unicx.identity import changes
from unicx.identity.keyed import migrate_keyed_tombstones
from unicx.identity.schema import SINGLE_CUSTOMER_VIEW_SQL
from unicx.ingest.schema import SOURCES_KEYS_EVENTS_SQL
from unicx.journeys.content import NodeContents
from unicx.journeys.schema import JOURNEYS_SQL
from unicx.personalize.schema import PERSONALIZE_SQL
from unicx.predict import train as predict_train
from unicx.predict.registry import TrainResult
from unicx.predict.schema import PREDICT_AS_OF_SQL, PREDICT_SQL
from unicx.privacy.consent import refresh_consents
from unicx.profiles import downstream
from unicx.profiles.derived import refresh_derived
from unicx.profiles.refresh_scope import FULL
from unicx.profiles.schema import PROFILE_SEARCH_SQL
from unicx.profiles.search import refresh_search
from unicx.recommend.catalog_events import catalog_from_events
from unicx.recommend.schema import CATALOG_SOURCES_SQL, RECOMMEND_SQL
from unicx.segments.refresh import refresh_segments
from unicx.segments.schema import SEGMENTS_SQL
from unicx.store import Session, Store
from unicx.store.migrations import Migration, migrate


def _fill_profile_search(session: Session) -> None:
    """Migration 13: the search rows of the profiles a workspace already has."""
    refresh_search(session, FULL)


# Released migrations, in order: never edited, only appended to (numbers are handed out to
# parallel work, see store/migrations.py).
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "sources_keys_events", SOURCES_KEYS_EVENTS_SQL),
    Migration(2, "single_customer_view", SINGLE_CUSTOMER_VIEW_SQL),
    Migration(3, "segments", SEGMENTS_SQL),
    Migration(4, "predict", PREDICT_SQL),
    Migration(5, "recommend", RECOMMEND_SQL),
    Migration(6, "personalize", PERSONALIZE_SQL),
    Migration(7, "journeys_channels", JOURNEYS_SQL + CHANNELS_SQL),
    Migration(8, "keyed_tombstones", "", then=migrate_keyed_tombstones),
    Migration(9, "person_token_secret", "", then=create_person_secret),
    Migration(10, "train_as_of_catalog_sources", PREDICT_AS_OF_SQL + CATALOG_SOURCES_SQL),
    Migration(11, "scrub_provider_answers", SCRUB_ANSWERS_SQL),
    Migration(12, "dashboard_users", DASHBOARD_USERS_SQL),
    Migration(13, "profile_search", PROFILE_SEARCH_SQL, then=_fill_profile_search),
    Migration(14, "dashboard_sessions", DASHBOARD_SESSIONS_SQL),
)


def migrate_workspace(store: Store) -> list[int]:
    """Apply the migrations ``store`` lacks (returns their versions) and install the chain."""
    install_derived_chain()
    return migrate(store, migrations=MIGRATIONS)


def install_derived_chain() -> None:
    """Give the lower domains what they call in the higher ones (idempotent)."""
    downstream.install(
        downstream.Chain(
            consents=refresh_consents,
            segments=refresh_segments,
            catalog=catalog_from_events,
            messages=message_log,
        )
    )
    changes.install(refresh_derived)
    install_journey_content(NodeContents)
    predict_train.install_trainer("recommend", _train_recommendations)


def _train_recommendations(
    store: Store, settings: Settings, *, now: datetime, as_of: datetime | None = None
) -> TrainResult:
    from unicx.recommend.train import train  # numpy and scipy load only when training

    return train(store, settings, now=now, as_of=as_of)
