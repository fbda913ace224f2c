/*
 * isr_sender.c: ISR changes to the controller (isr_sender.h).
 *
 * Not built yet: ISRs do not change.
 */
#include <stddef.h>

#include "cluster/isr_sender.h"

struct isr_sender *isr_sender_start(struct broker *b)
{
	(void)b;
	return NULL;
}

void isr_sender_stop(struct isr_sender *s)
{
	(void)s;
}

void isr_sender_poke(struct isr_sender *s)
{
	(void)s;
}
