/* What intermediate throw events and end events share: the events they
 * throw besides errors and compensation (BPMN 2.0.2 §10.5.5). */
#ifndef BT_ELEMENTS_THROWS_H
#define BT_ELEMENTS_THROWS_H

#include "elements/processor.h"

/* Throws the event of `ei` (a signal's broadcast, an escalation) or
 * starts its work (a message throw is a job, as in Zeebe), queueing its
 * completion unless it waits or was ended; 1 in `*handled` when its
 * definition is one of these. */
int bt_throw_event(bt_ctx *cx, bt_ei *ei, int *handled);

#endif
