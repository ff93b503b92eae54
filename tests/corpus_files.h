/* The BPMN files of the corpus, for the tests that face all of them. */
#ifndef BATON_TESTS_CORPUS_FILES_H
#define BATON_TESTS_CORPUS_FILES_H

#include <stddef.h>

/* Every *.bpmn file under $BATON_CORPUS, sorted by path, into *files
 * (free with corpus_files_free); *root gets $BATON_CORPUS. Returns 0, or
 * prints why and returns -1. */
int corpus_files(const char **root, char ***files, size_t *n);
void corpus_files_free(char **files, size_t n);

#endif
