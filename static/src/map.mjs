// The map on "where is the problem?": a pin placed by click, tap, drag or keyboard, or from the device's
// location, fills the form's own fields (latitude and longitude, or the postcode of the nearest address).
// Without JavaScript the section stays hidden and the form works as it is. Leaflet is loaded before this.

const NORFOLK = [52.63, 1.0];
const MAX_ACCURACY_M = 100;
const STEP_PX = 10;

function setUp(section) {
  const L = window.L;
  const text = section.dataset;
  const status = section.querySelector("[data-map-status]");
  const form = section.closest("form");
  const field = (name) => form.querySelector(`[name="${name}"]`);
  const say = (message) => {
    status.textContent = message;
  };

  section.hidden = false;
  const map = L.map(section.querySelector("[data-map-canvas]"), { center: NORFOLK, zoom: 9 });
  L.tileLayer(text.tiles, { attribution: text.attribution, maxZoom: 19 }).addTo(map);
  let pin = null;

  async function describe(latlng) {
    const query = new URLSearchParams({ latitude: latlng.lat.toFixed(6), longitude: latlng.lng.toFixed(6) });
    const response = await fetch(`${text.where}?${query}`, { headers: { Accept: "application/json" } });
    const answer = await response.json();
    if (!response.ok) return say(answer.error);
    if (text.fill === "postcode" && answer.postcode && !answer.outside) field("postcode").value = answer.postcode;
    say([answer.description, answer.outside || answer.council_says].filter(Boolean).join(" "));
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
    pin = L.marker(latlng, { icon, draggable: true, keyboard: true, title: text.pinLabel }).addTo(map);
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
        map.setView(latlng, 17);
        place(latlng);
        use(latlng);
      },
      (error) => say(error.code === error.PERMISSION_DENIED ? text.denied : text.unavailable),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 },
    );
  });
}

for (const section of document.querySelectorAll("[data-map]")) setUp(section);
