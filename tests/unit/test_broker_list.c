/*
 * test_broker_list.c: how -b becomes the brokers a client asks, and what
 * it learns from the cluster's answers.  No request is made.
 */
#include <jansson.h>
#include <string.h>

#include "broker_list.h"
#include "unit.h"

static int list_is(const struct broker_list *l, const char *const *want, size_t n)
{
	if (l->n != n) {
		unit_diag("  %zu brokers, expected %zu", l->n, n);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(l->url[i], want[i]) != 0) {
			unit_diag("  broker %zu is '%s', expected '%s'", i, l->url[i], want[i]);
			return 0;
		}
	return 1;
}

static void test_the_brokers_of_b_are_kept_in_order(void)
{
	struct broker_list l = { 0 };
	const char *want[] = { "http://h1:1", "http://h2:9292", "http://[::1]:3" };

	CHECK_EQ(broker_list_parse(&l, "h1:1,h2,[::1]:3"), 3);
	CHECK(list_is(&l, want, 3));
	CHECK_EQ(l.given, 3);
	broker_list_free(&l);
}

static void test_spaces_empty_entries_and_repeats_are_dropped(void)
{
	struct broker_list l = { 0 };
	const char *want[] = { "http://h1:1", "http://h2:2" };

	CHECK_EQ(broker_list_parse(&l, " h1:1 ,, h2:2,http://h1:1/ ,"), 2);
	CHECK(list_is(&l, want, 2));
	broker_list_free(&l);
}

static void test_the_cluster_adds_the_brokers_it_lists_after_b(void)
{
	struct broker_list l = { 0 };
	const char *want[] = { "http://h1:1", "http://h2:2", "http://h3:3" };
	json_t *brokers = json_loads("[{\"id\":1,\"url\":\"http://h1:1\"},"
				     "{\"id\":2,\"url\":\"http://h2:2\",\"state\":\"alive\"},"
				     "{\"node_id\":3,\"host\":\"h3\",\"port\":3},"
				     "{\"id\":4},{\"id\":5,\"host\":\"h5\",\"port\":70000}]",
				     0, NULL);

	broker_list_parse(&l, "h1:1");
	CHECK_EQ(broker_list_learn(&l, brokers), 2);
	CHECK(list_is(&l, want, 3));
	CHECK_EQ(l.given, 1);
	CHECK_EQ(broker_list_learn(&l, brokers), 0);
	json_decref(brokers);
	broker_list_free(&l);
}

static void test_an_entry_names_its_id_either_way(void)
{
	json_t *a = json_loads("{\"id\":7}", 0, NULL), *b = json_loads("{\"node_id\":8}", 0, NULL);
	json_t *c = json_loads("{\"host\":\"x\"}", 0, NULL);

	CHECK_EQ(broker_list_entry_id(a), 7);
	CHECK_EQ(broker_list_entry_id(b), 8);
	CHECK_EQ(broker_list_entry_id(c), -1);
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

int main(void)
{
	unit_run("the brokers of -b are kept in order", test_the_brokers_of_b_are_kept_in_order);
	unit_run("spaces, empty entries and repeats are dropped",
		 test_spaces_empty_entries_and_repeats_are_dropped);
	unit_run("the cluster adds the brokers it lists after -b",
		 test_the_cluster_adds_the_brokers_it_lists_after_b);
	unit_run("an entry names its id either way", test_an_entry_names_its_id_either_way);
	return unit_done();
}
