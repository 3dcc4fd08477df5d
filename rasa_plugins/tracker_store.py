"""Rasa's SQL tracker store, with erasure.

Rasa 3.6 has no delete: the gateway erases a conversation by replacing its tracker with no events
(`PUT /conversations/{id}/tracker/events []`), but `SQLTrackerStore.save` only ever appends, so the old
rows (the talent's messages) would stay. Here an empty tracker deletes the conversation's rows.
"""
from __future__ import annotations

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker


class ErasableSQLTrackerStore(SQLTrackerStore):
    async def save(self, tracker: DialogueStateTracker) -> None:
        if tracker.events:
            await super().save(tracker)
            return
        with self.session_scope() as session:
            session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == tracker.sender_id).delete()
            session.commit()
