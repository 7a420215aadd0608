"""Presets: the stock files, seed policies, and one-line errors that point at the right line."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from pinglass.errors import PresetError, UsageError
from pinglass.presets import (
    SEED_MODULUS,
    Preset,
    load_preset,
    stock_preset_names,
    stock_presets_dir,
    validate_preset,
    write_scaffold,
)

STOCK = ["business", "casual", "creative"]
# Identity comes from the reference photos: the prompts must not invent gender.
GENDERED = re.compile(r"\b(he|she|his|her|hers|him|man|woman|men|women|guy|girl|boy|lady)\b", re.I)


def preset_text(prompts: list[str], *, defaults: str = "", head: str = "") -> str:
    """A small preset document; each item of ``prompts`` is the body of one [[prompts]] table."""
    parts = [head, '[preset]\nname = "mine"\n', f"[defaults]\n{defaults}\n"]
    parts += [f"[[prompts]]\n{body}\n" for body in prompts]
    return "\n".join(parts)


def write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def simple_prompts(count: int) -> list[str]:
    return [f'id = "p{n}"\ntext = "Portrait {n} of the person."' for n in range(1, count + 1)]


def line_of(text: str, needle: str) -> int:
    """1-based line number of the first line containing ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# --- stock presets ---------------------------------------------------------------------------


def test_stock_presets_are_found_in_the_repository_folder() -> None:
    assert stock_preset_names() == STOCK
    assert (stock_presets_dir() / "business.toml").is_file()


@pytest.mark.parametrize("name", STOCK)
def test_stock_preset_has_23_distinct_neutral_prompts(name: str) -> None:
    preset = load_preset(name)
    ids = [p.id for p in preset.prompts]
    texts = [p.text for p in preset.prompts]
    assert preset.name == name
    assert len(preset.prompts) == 23
    assert len(set(ids)) == 23
    assert len(set(texts)) == 23
    for text in texts:
        assert "person" in text
        assert not GENDERED.search(text), text
        assert 150 < len(text) < 600
    assert preset.sha256 == hashlib.sha256(preset.path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", STOCK)
def test_stock_preset_resolves_with_a_run_seed_deterministically(name: str) -> None:
    preset = load_preset(name)
    first = preset.resolve(seed=42)
    assert first == preset.resolve(seed=42)
    assert [r.index for r in first] == list(range(1, 24))
    assert [r.seed for r in first] == list(range(42, 65))
    for r in first:
        assert r.width % 16 == 0 and r.height % 16 == 0
        assert r.negative_prompt and r.guidance and r.steps and r.identity_weight


def test_per_prompt_policy_uses_base_seed_plus_offset() -> None:
    seeds = [r.seed for r in load_preset("business").resolve()]
    assert seeds == list(range(1000, 1023))


def test_random_policy_draws_one_base_per_run() -> None:
    resolved = load_preset("casual").resolve()
    base = resolved[0].seed
    assert [r.seed for r in resolved] == [(base + i) % SEED_MODULUS for i in range(23)]


def test_per_prompt_overrides_are_merged() -> None:
    by_id = {r.id: r for r in load_preset("creative").resolve(seed=1)}
    assert (by_id["cinematic-widescreen"].width, by_id["cinematic-widescreen"].height) == (
        1152,
        768,
    )
    assert by_id["painterly-old-master"].guidance == 4.5
    assert "illustration" not in by_id["painterly-old-master"].negative_prompt
    assert by_id["film-noir"].guidance == 4.0


def test_fixed_policy_and_pinned_prompt_seed(tmp_path: Path) -> None:
    prompts = simple_prompts(3)
    prompts[2] += "\nseed = 77"
    path = write(tmp_path, preset_text(prompts, defaults='seed = "fixed"\nbase_seed = 5'))
    preset = validate_preset(path)
    assert [r.seed for r in preset.resolve()] == [5, 5, 77]
    assert [r.seed for r in preset.resolve(seed=9)] == [9, 9, 77]


def test_seeds_wrap_into_32_bit_range(tmp_path: Path) -> None:
    path = write(tmp_path, preset_text(simple_prompts(2)))
    assert [r.seed for r in validate_preset(path).resolve(SEED_MODULUS - 1)] == [
        SEED_MODULUS - 1,
        0,
    ]
    with pytest.raises(UsageError, match="--seed must be between"):
        validate_preset(path).resolve(-1)


def test_text_whitespace_is_collapsed(tmp_path: Path) -> None:
    body = 'id = "p1"\ntext = """\n  Portrait of\n  the person.\n"""'
    preset = validate_preset(write(tmp_path, preset_text([body])))
    assert preset.prompts[0].text == "Portrait of the person."


# --- finding presets -------------------------------------------------------------------------


def test_load_by_path_string_and_path(tmp_path: Path) -> None:
    path = write(tmp_path, preset_text(simple_prompts(1)))
    assert isinstance(load_preset(str(path)), Preset)
    assert load_preset(path).name == "mine"
    assert load_preset("mine.toml").path == Path("mine.toml")  # cwd is tmp_path


def test_unknown_name_lists_stock_presets() -> None:
    with pytest.raises(UsageError) as info:
        load_preset("busines")
    assert not isinstance(info.value, PresetError)
    assert "business, casual, creative" in str(info.value)
    assert "did you mean 'business'" in str(info.value)


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    target = tmp_path / "absent.toml"
    with pytest.raises(PresetError) as info:
        validate_preset(target)
    assert str(info.value) == f"{target}: no such file"


def test_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(PresetError) as info:
        load_preset(tmp_path)
    assert str(info.value) == f"{tmp_path}: is a folder, not a preset file"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.toml"
    path.write_bytes(b'[preset]\nname = "caf\xe9"\n')
    with pytest.raises(PresetError, match="not UTF-8"):
        validate_preset(path)


# --- errors that point at a line ---------------------------------------------------------------


def test_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    text = preset_text(simple_prompts(2)).replace('id = "p2"', 'id = "p2" oops')
    path = write(tmp_path, text)
    with pytest.raises(PresetError) as info:
        validate_preset(path)
    line = line_of(text, "oops")
    assert info.value.line == line and info.value.col == 11
    assert str(info.value).startswith(f"{path}:{line}:11: TOML syntax error")


def test_syntax_error_at_end_of_document(tmp_path: Path) -> None:
    path = write(tmp_path, '[preset]\nname = "x"\ntags = [\n')
    with pytest.raises(PresetError) as info:
        validate_preset(path)
    assert info.value.line == 3
    assert re.match(rf"{re.escape(str(path))}:3:\d+: TOML syntax error", str(info.value))


def test_bad_field_type_in_prompt_5_names_index_id_field_and_line(tmp_path: Path) -> None:
    prompts = simple_prompts(7)
    prompts[4] += '\nsteps = "many"'
    text = preset_text(prompts)
    path = write(tmp_path, text)
    with pytest.raises(PresetError) as info:
        validate_preset(path)
    line = line_of(text, 'steps = "many"')
    assert info.value.line == line
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: prompt 5 (id 'p5'): steps:")
    assert "valid integer" in message


def test_bad_prompt_text_points_at_its_line_despite_multiline_strings(tmp_path: Path) -> None:
    # A line inside a multi-line string that looks like a table header must not confuse the scan.
    prompts = ['id = "p1"\ntext = """\n[[prompts]]\nnot a header\n"""', 'id = "p2"\ntext = ""']
    text = preset_text(prompts)
    with pytest.raises(PresetError) as info:
        validate_preset(write(tmp_path, text))
    assert info.value.line == text.splitlines().index('text = ""') + 1
    assert "prompt 2 (id 'p2'): text: is empty" in str(info.value)


def test_defaults_error_names_the_table_and_line(tmp_path: Path) -> None:
    text = preset_text(simple_prompts(1), defaults="width = 900")
    with pytest.raises(PresetError) as info:
        validate_preset(write(tmp_path, text))
    assert info.value.line == line_of(text, "width = 900")
    assert "[defaults]: width: Input should be a multiple of 16" in str(info.value)


def test_duplicate_ids_name_both_lines(tmp_path: Path) -> None:
    prompts = simple_prompts(4)
    prompts[3] = prompts[3].replace('"p4"', '"p2"')
    text = preset_text(prompts)
    with pytest.raises(PresetError) as info:
        validate_preset(write(tmp_path, text))
    first, second = (n for n, line in enumerate(text.splitlines(), 1) if line == 'id = "p2"')
    assert info.value.line == second
    assert f"prompt 4: duplicate id 'p2', already used by prompt 2 at line {first}" in str(
        info.value
    )


@pytest.mark.parametrize("body", ['[preset]\nname = "x"\n', '[preset]\nname = "x"\nprompts = []\n'])
def test_no_prompts(tmp_path: Path, body: str) -> None:
    with pytest.raises(PresetError, match="no prompts"):
        validate_preset(write(tmp_path, body))


@pytest.mark.parametrize(
    ("defaults", "extra", "head", "expected", "needle"),
    [
        ("", "widht = 512", "", "prompt 2 (id 'p2'): unknown key 'widht' (did you mean 'width'?)",
         "widht"),
        ("stepz = 3", "", "", "[defaults]: unknown key 'stepz' (did you mean 'steps'?)", "stepz"),
        ("", "", "colour = 1\n", "top level: unknown key 'colour'", "colour"),
    ],
)  # fmt: skip
def test_unknown_keys_are_named(
    tmp_path: Path, defaults: str, extra: str, head: str, expected: str, needle: str
) -> None:
    prompts = simple_prompts(2)
    prompts[1] += f"\n{extra}"
    text = preset_text(prompts, defaults=defaults, head=head)
    with pytest.raises(PresetError) as info:
        validate_preset(write(tmp_path, text))
    assert expected in str(info.value)
    assert info.value.line == line_of(text, needle)


def test_base_seed_with_random_policy_is_refused(tmp_path: Path) -> None:
    text = preset_text(simple_prompts(1), defaults='seed = "random"\nbase_seed = 3')
    with pytest.raises(PresetError, match='base_seed: is not used with seed = "random"'):
        validate_preset(write(tmp_path, text))


def test_missing_preset_table_and_bad_id(tmp_path: Path) -> None:
    with pytest.raises(PresetError, match=r"missing the \[preset\] table"):
        validate_preset(write(tmp_path, '[[prompts]]\nid = "a"\ntext = "t"\n'))
    with pytest.raises(PresetError, match="id: must be kebab-case"):
        validate_preset(write(tmp_path, preset_text(['id = "Bad_Id"\ntext = "t"'])))


def test_overlong_text_is_refused(tmp_path: Path) -> None:
    text = preset_text([f'id = "long"\ntext = "{"word " * 500}"'])
    with pytest.raises(PresetError, match="the limit is 2000"):
        validate_preset(write(tmp_path, text))


# --- scaffold --------------------------------------------------------------------------------


def test_scaffold_round_trips_and_is_commented(tmp_path: Path) -> None:
    path = write_scaffold("team-shots", tmp_path / "team.toml")
    text = path.read_text(encoding="utf-8")
    assert text.count("\n#") >= 8
    preset = load_preset(str(path))
    assert preset.name == "team-shots"
    assert len(preset.resolve()) == len(preset.prompts) >= 2


def test_scaffold_refuses_to_overwrite_and_bad_names(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text("keep me", encoding="utf-8")
    with pytest.raises(UsageError, match="already exists"):
        write_scaffold("x", path)
    assert path.read_text(encoding="utf-8") == "keep me"
    with pytest.raises(UsageError, match="kebab-case"):
        write_scaffold("Not Kebab", tmp_path / "y.toml")
    with pytest.raises(UsageError, match="no such folder"):
        write_scaffold("z", tmp_path / "missing" / "z.toml")
