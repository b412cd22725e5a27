"""What a person reads of an error: its first line, or its type's name when it says nothing."""

from bertui.errors import first_line


def test_an_errors_first_line_is_what_a_person_reads_of_it():
    error = RuntimeError("  CUDA out of memory.\nTried to allocate 2.00 GiB\n")
    assert first_line(error) == "CUDA out of memory."
    assert first_line(OSError()) == "OSError" and first_line(ValueError(" \n ")) == "ValueError"
