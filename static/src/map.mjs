// The map on "where is the problem?": a pin placed by click, tap, drag or keyboard, or from the device's
// location, fills the form's own fields (latitude and longitude, or the postcode of the nearest address).
// Open reports nearby (the page's [data-nearby] list, server-rendered) are drawn as numbered markers, and are
// listed and drawn again for wherever the pin goes. Without JavaScript the section stays hidden, the form works
// as it is, and the list is there when the page knows the place. Leaflet is loaded before this.

const NORFOLK = [52.63, 1.0];
const MAX_ACCURACY_M = 100;
const STEP_PX = 10;
const PLACE_ZOOM = 16;

function setUp(section) {
  const L = window.L;
  const text = section.dataset;
  const status = section.querySelector("[data-map-status]");
  const form = section.closest("form");
  const nearby = form.querySelector("[data-nearby]");
  const field = (name) => form.querySelector(`[name="${name}"]`);
  const say = (message) => {
    status.textContent = message;
  };

  section.hidden = false;
  const map = L.map(section.querySelector("[data-map-canvas]"), { center: NORFOLK, zoom: 9 });
  L.tileLayer(text.tiles, { attribution: text.attribution, maxZoom: 19 }).addTo(map);
  const markers = L.layerGroup().addTo(map);
  let pin = null;

  // Each listed report with a position becomes a marker numbered and named as its list item; choosing the
  // marker (click, tap, Enter or Space) takes the focus to that item, which says more.
  function drawNearby() {
    markers.clearLayers();
    if (!nearby) return;
    nearby.querySelectorAll("li[data-label]").forEach((item, index) => {
      if (!item.dataset.latitude) return;
      const icon = L.divIcon({
        className: "portal-map__marker",
        html: String(index + 1),
        iconSize: [26, 26],
        iconAnchor: [13, 13],
      });
      const latlng = [Number(item.dataset.latitude), Number(item.dataset.longitude)];
      const marker = L.marker(latlng, { icon, keyboard: true, title: item.dataset.label }).addTo(markers);
      const element = marker.getElement();
      element.setAttribute("aria-label", item.dataset.label);
      const show = () => item.focus();
      marker.on("click", show);
      L.DomEvent.on(element, "keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          L.DomEvent.stop(event);
          show();
        }
      });
    });
  }

  function listNearby(answer) {
    if (!nearby) return;
    nearby.innerHTML = answer.nearby || "";
    drawNearby();
  }

  // Says where the pin is and lists what is open near it; ``fill`` also puts the place in the form's fields.
  // Only the answer for the pin's latest place is used: one for an earlier place can arrive after it.
  let latest = 0;
  async function describe(latlng, fill = true) {
    const asked = ++latest;
    const query = new URLSearchParams({ latitude: latlng.lat.toFixed(6), longitude: latlng.lng.toFixed(6) });
    const response = await fetch(`${text.where}?${query}`, { headers: { Accept: "application/json" } });
    const answer = await response.json();
    if (asked !== latest) return;
    if (!response.ok) return say(answer.error);
    if (fill && text.fill === "postcode" && answer.postcode && !answer.outside) field("postcode").value = answer.postcode;
    listNearby(answer);
    say([answer.description, answer.outside || answer.council_says, answer.nearby_says].filter(Boolean).join(" "));
  }

  function use(latlng) {
    if (text.fill === "coordinates") {
      field("latitude").value = latlng.lat.toFixed(6);
      field("longitude").value = latlng.lng.toFixed(6);
    }
    describe(latlng);
  }

  function place(latlng) {
    if (pin) {
      pin.setLatLng(latlng);
      return pin;
    }
    const icon = L.divIcon({ className: "portal-map__pin", iconSize: [24, 24], iconAnchor: [12, 24] });
    const options = { icon, draggable: true, keyboard: true, title: text.pinLabel, zIndexOffset: 1000 };
    pin = L.marker(latlng, options).addTo(map);
    const element = pin.getElement();
    element.setAttribute("aria-label", text.pinLabel);
    element.setAttribute("aria-describedby", section.querySelector("[data-map-hint]").id);
    pin.on("dragend", () => use(pin.getLatLng()));
    L.DomEvent.on(element, "keydown", (event) => {
      const moves = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
      if (event.key === "Enter") {
        L.DomEvent.stop(event);
        use(pin.getLatLng());
      } else if (moves[event.key]) {
        L.DomEvent.stop(event);
        const step = event.shiftKey ? STEP_PX * 5 : STEP_PX;
        const point = map.latLngToContainerPoint(pin.getLatLng());
        const moved = point.add(L.point(moves[event.key][0] * step, moves[event.key][1] * step));
        pin.setLatLng(map.containerPointToLatLng(moved));
        say(text.moved);
      }
    });
    return pin;
  }

  map.on("click", (event) => {
    place(event.latlng);
    use(event.latlng);
  });
  // Enter on the map itself puts the pin in its middle, ready to be moved with the arrow keys.
  L.DomEvent.on(map.getContainer(), "keydown", (event) => {
    if (event.key === "Enter" && event.target === map.getContainer()) {
      L.DomEvent.stop(event);
      place(map.getCenter()).getElement().focus();
      say(text.placed);
    }
  });

  // Back on this page with a place already given: the map opens there, with its pin, the reports near it and
  // the text that says where the pin is; the form's fields keep what they hold.
  drawNearby();
  if (text.latitude && text.longitude) {
    const latlng = L.latLng(Number(text.latitude), Number(text.longitude));
    map.setView(latlng, PLACE_ZOOM);
    place(latlng);
    describe(latlng, false);
  }

  const locate = section.querySelector("[data-locate]");
  if (!("geolocation" in navigator)) {
    locate.hidden = true;
    return;
  }
  locate.addEventListener("click", () => {
    say(text.locating);
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const { latitude, longitude, accuracy } = position.coords;
        if (accuracy > MAX_ACCURACY_M) return say(text.inaccurate.replace("{metres}", Math.round(accuracy)));
        const latlng = L.latLng(latitude, longitude);
        map.setView(latlng, PLACE_ZOOM);
        place(latlng);
        use(latlng);
      },
      (error) => say(error.code === error.PERMISSION_DENIED ? text.denied : text.unavailable),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 },
    );
  });
}

for (const section of document.querySelectorAll("[data-map]")) setUp(section);
