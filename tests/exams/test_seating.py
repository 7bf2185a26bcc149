"""The seat map's layout: seats from the front left, row by row, gaps kept in place."""

from app.exams import seating


def test_seats_fill_rows_from_the_front_left_and_gaps_keep_their_place() -> None:
    seats = {1: "a", 2: "b", 4: "d", 7: "g"}
    assert seating.seat_rows(seats, 3) == [
        [(1, "a"), (2, "b"), (3, None)],
        [(4, "d"), (5, None), (6, None)],
        [(7, "g")],
    ]


def test_a_full_last_row_and_one_seat_per_row() -> None:
    assert seating.seat_rows({1: "a", 2: "b"}, 2) == [[(1, "a"), (2, "b")]]
    assert seating.seat_rows({1: "a", 2: "b"}, 1) == [[(1, "a")], [(2, "b")]]


def test_no_seats_no_rows_and_the_row_width_is_kept_within_bounds() -> None:
    assert seating.seat_rows({}, 6) == []
    assert seating.seat_rows({3: "c"}, 0) == [[(1, None)], [(2, None)], [(3, "c")]]
    wide = seating.seat_rows({n: n for n in range(1, 31)}, 500)
    assert [len(r) for r in wide] == [seating.MAX_SEATS_PER_ROW, 30 - seating.MAX_SEATS_PER_ROW]


def test_seats_per_row_must_be_between_one_and_twenty() -> None:
    assert seating.seats_per_row_problem(1) is None
    assert seating.seats_per_row_problem(20) is None
    for bad in (0, 21, None):
        assert seating.seats_per_row_problem(bad) == "每排座位数应在 1–20 之间"
