from main import (
    caesar,
    chunk,
    clamp,
    fizzbuzz,
    format_cents,
    gcd,
    histogram,
    initials,
    is_prime,
    luhn_valid,
    mean,
    median,
    parse_duration,
    primes_below,
    roman,
    running_total,
    slugify,
    word_count,
)


def test_slugify():
    assert slugify("Hello, World!") == "hello-world"


def test_word_count():
    assert word_count("the cat and the hat") == {"the": 2, "cat": 1, "and": 1, "hat": 1}


def test_mean():
    assert mean([1.0, 2.0, 6.0]) == 3.0
    assert mean([]) is None


def test_median_odd():
    assert median([3.0, 1.0, 2.0]) == 2.0


def test_median_even():
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_clamp():
    assert clamp(15.0, 0.0, 10.0) == 10.0
    assert clamp(-1.0, 0.0, 10.0) == 0.0


def test_is_prime():
    assert [n for n in range(20) if is_prime(n)] == [2, 3, 5, 7, 11, 13, 17, 19]


def test_primes_below():
    assert primes_below(30) == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]


def test_fizzbuzz():
    assert fizzbuzz(15)[-3:] == ["13", "14", "FizzBuzz"]


def test_roman():
    assert roman(1994) == "MCMXCIV"
    assert roman(3999) == "MMMCMXCIX"


def test_parse_duration():
    assert parse_duration("1h30m") == 5400
    assert parse_duration("2d 4h 15s") == 187215


def test_chunk():
    assert chunk([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]


def test_caesar():
    assert caesar("Hello, World", 3) == "Khoor, Zruog"
    assert caesar(caesar("abc xyz", 5), -5) == "abc xyz"


def test_luhn_valid():
    assert luhn_valid("4539 1488 0343 6467")
    assert not luhn_valid("8273 1232 7352 0569")


def test_format_cents():
    assert format_cents(123456) == "$1,234.56"
    assert format_cents(-5) == "-$0.05"


def test_gcd():
    assert gcd(12, 18) == 6
    assert gcd(-4, 6) == 2


def test_running_total():
    assert running_total([1, 2, 3]) == [1, 3, 6]


def test_initials():
    assert initials("ada lovelace") == "AL"


def test_histogram():
    assert histogram([1, 2, 3, 4, 5, 6, 7, 8], 4) == [2, 2, 2, 2]


def test_histogram_empty():
    assert histogram([], 3) == [0, 0, 0]
