"""MLQA-R (LAReQA; Roy et al., EMNLP 2020): MLQA dev questions in 7 languages, 500-1,148 per language, answer sentences."""
from harness.datasets.lareqa import LareqaDataset

# MLQA-R was removed upstream after this commit.
_COMMIT = "354d67d1cd066854cdfbf5ad0e6105528976141d"

DATASET = LareqaDataset(
    id="mlqa-r",
    title="MLQA-R",
    description=(
        "Language-agnostic answer retrieval on MLQA dev; a question id exists in en and 1-3 other languages, "
        "so X-Y pairs evaluate the ids present in both"
    ),
    languages=("ar", "de", "en", "es", "hi", "vi", "zh"),
    folder="mlqa-r",
    url_template=f"https://raw.githubusercontent.com/google-research-datasets/lareqa/{_COMMIT}/mlqa-r/{{lang}}.json",
    sha256={
        "ar": "2132fbc03208535c0fe01f2e2c5121d06f9c2aa799af93b0a719dbc105bdf137",
        "de": "ce9454dc5aa6f2d85c23cd6e49cb367fbb7c4c6e62d7f71e355c6b5dae4d0886",
        "en": "fedd9a5cc0848dda80caf84aa36f482adaae230526a3f6e9e86926a93ef3b1e4",
        "es": "70ecba276b8c96a692b120693a595d076ce94ad21d4b28311538a9fcbfe0f9d7",
        "hi": "4dd0fb3c06f737a5481d705bc1dcac7876712a5815c9265908fbb3a0696cb654",
        "vi": "9d3baff6ba03e6793b25594217265ea59a136b9733833dca8a9582a84a78ff85",
        "zh": "57f01d2fff50cf3392805635b01445339f225ad5bf28ba8443b12f8dbd1e69dc",
    },
    sizes={
        "questions": {"ar": 517, "de": 512, "en": 1148, "es": 500, "hi": 507, "vi": 511, "zh": 504},
        "candidates": {"ar": 2545, "de": 2362, "en": 6264, "es": 1787, "hi": 2426, "vi": 2828, "zh": 2322},
        "pool": 20534,
    },
)
